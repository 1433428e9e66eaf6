using System.CommandLine;
using DistTrain.Client.Output;

namespace DistTrain.Client.Commands;

/// <summary>
/// <c>disttrain submit</c>: sends a job to a running cluster and prints its id; with <c>--wait</c>
/// follows it to the end as `train` does. It takes train's options, names and defaults (one
/// mapping, <see cref="JobSettings.ToSpec"/>), but never falls back to an embedded silo.
/// </summary>
internal static class SubmitCommand
{
    public static Command Create()
    {
        var settings = new TrainSettings();
        var job = new JobSettings();
        var id = new Option<string?>("--id") { Description = "Job id: letters, digits, '-', '_', '.' (default: a new one)." };
        var wait = new Option<bool>("--wait") { Description = "Follow the job until it ends; the exit code tells how it ended." };

        var command = new Command("submit", "Submit a training job to a running cluster (the options of `train`; no embedded fallback)");
        foreach (var option in settings.All.Concat(job.All))
        {
            command.Options.Add(option);
        }
        command.Options.Add(id);
        command.Options.Add(wait);
        ClusterCommandOptions.AddTo(command);
        command.SetAction((parse, cancellation) => UserError.GuardAsync(() =>
            ClusterTrain.RunAsync(parse, settings, job, new ClusterTrainMode(AllowEmbedded: false, Detach: !parse.GetValue(wait), parse.GetValue(id)), cancellation)));
        return command;
    }
}
