using System.CommandLine;
using DistTrain.Client.Cluster;
using DistTrain.Client.Output;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using Spectre.Console;

namespace DistTrain.Client.Commands;

/// <summary><c>disttrain status ID</c>: one job's state, step, loss and per-epoch results.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var id = new Argument<string>("id") { Description = "Job id" };
        var command = new Command("status", "Show a job's status") { id };
        ClusterCommandOptions.AddTo(command);
        command.SetAction(ClusterCommandOptions.OnJob(id, async (job, cancellationToken) =>
        {
            StatusView.Write(await JobRunner.StatusAsync(job, cancellationToken));
            return 0;
        }));
        return command;
    }
}
