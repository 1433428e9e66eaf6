using System.CommandLine;
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
        command.SetAction((parse, cancellationToken) => UserError.GuardAsync(async () =>
        {
            await using var connection = await ClusterCommandOptions.ConnectAsync(parse, cancellationToken);
            if (connection is null)
            {
                return ClusterCommandOptions.Unreachable;
            }

            var status = await connection.Client.GetGrain<IJobGrain>(parse.GetValue(id)!).GetStatusAsync();
            if (status.State == JobState.Pending && status.Spec is null)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]No job {status.JobId}[/] (see [bold]disttrain jobs[/]).");
                return 2;
            }

            StatusView.Write(status);
            return 0;
        }));
        return command;
    }
}
