using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Client.Cluster;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using Spectre.Console;

namespace DistTrain.Client.Commands;

/// <summary><c>disttrain watch ID</c>: live progress until the job ends (a bar on a terminal, lines otherwise).</summary>
internal static class WatchCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var command = new Command("watch", "Follow a job's progress until it finishes") { id };
        ClusterCommandOptions.AddTo(command);
        command.SetAction(ClusterCommandOptions.OnJob(id, async (job, client, cancellationToken) =>
        {
            var status = await FollowAsync(job, new ClusterHealth(client), cancellationToken);
            StatusView.Write(status);
            return StatusView.ExitCode(status);
        }));
        return command;
    }

    /// <summary>How often a watch whose output is not a terminal prints a step line.</summary>
    public static readonly TimeSpan PipedStepInterval = TimeSpan.FromSeconds(5);

    /// <summary>Follows the job to its end: a live bar on a terminal, lines otherwise.</summary>
    public static async Task<JobStatus> FollowAsync(IJobGrain job, ClusterHealth? health, CancellationToken cancellationToken)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
        {
            // A log or a pipe gets every epoch and a step line every few seconds, not one per event.
            long lastStepLine = 0;
            return await JobRunner.FollowAsync(job, p =>
            {
                var now = System.Diagnostics.Stopwatch.GetTimestamp();
                if (p.Kind == ProgressKind.Step && System.Diagnostics.Stopwatch.GetElapsedTime(lastStepLine, now) < PipedStepInterval)
                {
                    return;
                }
                if (p.Kind == ProgressKind.Step)
                {
                    lastStepLine = now;
                }
                Console.WriteLine(StatusView.Line(p));
            }, cancellationToken, health: health);
        }

        JobStatus? final = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var bar = context.AddTask(job.GetPrimaryKeyString(), maxValue: 1);
                final = await JobRunner.FollowAsync(job, p =>
                {
                    bar.MaxValue = Math.Max(1, p.TotalSteps);
                    bar.Value = p.Step;
                    bar.Description = Markup.Escape($"{p.JobId} epoch {p.Epoch}/{p.Epochs} loss {p.Loss:F4}");
                    if (p.Kind == ProgressKind.Epoch)
                    {
                        AnsiConsole.MarkupLine(Markup.Escape(StatusView.Line(p)));
                    }
                }, cancellationToken, health: health);
                bar.StopTask();
            });
        return final!;
    }
}
