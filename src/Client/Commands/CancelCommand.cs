using System.CommandLine;
using DistTrain.Client.Output;
using DistTrain.Contracts.Grains;
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
        command.SetAction((parse, cancellationToken) => UserError.GuardAsync(async () =>
        {
            await using var connection = await ClusterCommandOptions.ConnectAsync(parse, cancellationToken);
            if (connection is null)
            {
                return ClusterCommandOptions.Unreachable;
            }

            if (await ClusterCommandOptions.ExistingJobAsync(connection.Client, parse.GetValue(id)!) is not { } job)
            {
                return UserError.ExitCode;
            }

            var status = await job.CancelAsync();
            AnsiConsole.MarkupLineInterpolated($"{status.JobId}: {status.State} (cancellation takes effect after the step in flight)");
            return 0;
        }));
        return command;
    }
}
