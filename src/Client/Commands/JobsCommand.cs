using System.CommandLine;
using DistTrain.Client.Cluster;
using DistTrain.Client.Output;
using DistTrain.Contracts.Grains;
using Spectre.Console;

namespace DistTrain.Client.Commands;

/// <summary><c>disttrain jobs</c>: every job the cluster knows, with its state.</summary>
internal static class JobsCommand
{
    public static Command Create()
    {
        var command = new Command("jobs", "List the jobs submitted to the cluster");
        ClusterCommandOptions.AddTo(command);
        command.SetAction((parse, cancellationToken) => UserError.GuardAsync(async () =>
        {
            await using var connection = await ClusterCommandOptions.ConnectAsync(parse, cancellationToken);
            if (connection is null)
            {
                return ClusterCommandOptions.Unreachable;
            }

            var jobs = await connection.Client.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).ListAsync();
            var statuses = await Task.WhenAll(jobs.Select(j => JobRunner.StatusAsync(connection.Client.GetGrain<IJobGrain>(j.JobId), cancellationToken)));
            var table = new Table().AddColumn(new TableColumn("Job").NoWrap()).AddColumns("State", "Epoch", "Step", "Loss", "Accuracy", "Submitted");
            foreach (var (job, status) in jobs.Zip(statuses))
            {
                table.AddRow(
                    Markup.Escape(job.JobId),
                    StatusView.State(status.State),
                    status.Spec is null ? "-" : $"{status.Epoch}/{status.Spec.Epochs}",
                    $"{status.Step}/{status.TotalSteps}",
                    status.Step > 0 ? $"{status.Loss:F4}" : "-",
                    status.FinalTestAccuracy is { } a ? $"{a:P2}" : "-",
                    job.SubmittedAt.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss"));
            }

            if (Console.IsOutputRedirected)
            {
                // A pipe or a log has no width: do not squeeze states and times into 80 columns.
                AnsiConsole.Profile.Width = Math.Max(AnsiConsole.Profile.Width, 32 + JobIdsWidth(jobs) + 80);
            }

            if (jobs.Count == 0)
            {
                AnsiConsole.WriteLine("No jobs.");
            }
            else
            {
                AnsiConsole.Write(table);
            }

            return 0;
        }));
        return command;
    }

    private static int JobIdsWidth(IReadOnlyList<DistTrain.Contracts.Messages.JobSummary> jobs) => jobs.Count == 0 ? 0 : jobs.Max(j => j.JobId.Length);
}
