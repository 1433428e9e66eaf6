using DistTrain.Core.Data;

namespace DistTrain.Client.Output;

/// <summary>Turns a user's mistake into one clear line on stderr and exit code 2, never a stack trace.</summary>
internal static class UserError
{
    public const int ExitCode = 2;

    /// <summary>As for a cluster that is down.</summary>
    public const int ClusterUnreachableExitCode = 3;

    public static async Task<int> GuardAsync(Func<Task<int>> action)
    {
        try
        {
            return await action();
        }
        catch (Exception e) when (IsUserError(e))
        {
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ExitCode;
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("cancelled");
            return 130;
        }
        catch (Cluster.ClusterBrokenException e)
        {
            // A live silo said the cluster cannot recover (a localhost cluster without its primary):
            // no use waiting out the patience for a silo loss.
            await Console.Error.WriteLineAsync($"error: {e.Message}");
            return ClusterUnreachableExitCode;
        }
        catch (Exception e) when (Cluster.JobRunner.IsSiloLoss(e))
        {
            // The cluster failed us (a silo died and stayed unreachable, a call timed out): say so in
            // one line, with the exit code of an unreachable cluster.
            await Console.Error.WriteLineAsync($"error: the cluster did not answer: {Unanswered(e)}");
            return ClusterUnreachableExitCode;
        }
    }

    /// <summary>Why the cluster did not answer, in one sentence: Orleans' "Exception while sending
    /// message: …ConnectionFailedException: Unable to connect to endpoint S…" names the silo that is gone.</summary>
    internal static string Unanswered(Exception e)
    {
        var message = e.Message.Split('\n')[0].Trim();
        var gone = System.Text.RegularExpressions.Regex.Match(message, @"Unable to connect to (?:endpoint )?S(?<address>[0-9.]+:\d+):\d+");
        return gone.Success
            ? $"silo {gone.Groups["address"].Value} is gone and calls kept needing it (if it was a localhost cluster's primary, the silo started " +
              "without --primary, the cluster cannot recover without it: restart the cluster, or run the silos with --redis)"
            : message;
    }

    public static int Guard(Func<int> action) => GuardAsync(() => Task.FromResult(action())).GetAwaiter().GetResult();

    private static bool IsUserError(Exception e) =>
        e is ArgumentException or FormatException or DatasetException or FileNotFoundException or DistTrain.Core.Training.TrainingDivergedException
            or DirectoryNotFoundException or InvalidDataException or UnauthorizedAccessException or Cluster.JobLostException
            or IOException; // a full disk, a file in use: the environment, named in the message

    /// <summary>Throws an <see cref="ArgumentException"/> naming the option when the condition fails.</summary>
    public static void Require(bool condition, string option, string message)
    {
        if (!condition)
        {
            throw new ArgumentException($"{option}: {message}");
        }
    }
}
