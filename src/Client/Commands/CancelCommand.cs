using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using Spectre.Console;

namespace DistTrain.Client.Commands;

/// <summary><c>disttrain cancel ID</c>: stops a job after the step in flight.</summary>
internal static class CancelCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var command = new Command("cancel", "Cancel a running job") { id };
        ClusterCommandOptions.AddTo(command);
        command.SetAction(ClusterCommandOptions.OnJob(id, async (job, _) =>
        {
            var status = await job.CancelAsync();
            AnsiConsole.MarkupLineInterpolated(status.State switch
            {
                JobState.Cancelled => $"{status.JobId}: Cancelled",
                JobState.Completed or JobState.Failed => $"{status.JobId}: already {status.State}; nothing to cancel",
                _ => $"{status.JobId}: {status.State} (cancellation takes effect after the step in flight)",
            });
            return 0;
        }));
        return command;
    }
}
