using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

/// <summary>Waiting for workers' answers under a deadline, naming the first that missed it.</summary>
internal static class WorkerCalls
{
    /// <summary>
    /// Every call's answer, or <see cref="WorkerStuckException"/> naming the first worker (in shard
    /// order) that has not answered within <paramref name="deadline"/> (zero: no deadline). The calls
    /// themselves run on: Orleans cannot take a request back from a grain that is busy with it.
    /// </summary>
    /// <param name="name">Who call i went to, as the error names it ("worker 3 (on silo …)").</param>
    public static async Task<T[]> WithinAsync<T>(Task<T>[] calls, Func<int, string> name, TimeSpan deadline, string what)
    {
        var all = calls.Length == 1 ? Wrap(calls[0]) : Task.WhenAll(calls);
        if (deadline <= TimeSpan.Zero)
        {
            return await all;
        }
        try
        {
            return await all.WaitAsync(deadline);
        }
        catch (TimeoutException) when (!all.IsCompleted)
        {
            var late = Math.Max(0, Array.FindIndex(calls, c => !c.IsCompleted));
            throw new WorkerStuckException($"{name(late)} did not answer {what} within {deadline.TotalSeconds:0.#} s");
        }
    }

    private static async Task<T[]> Wrap<T>(Task<T> call) => [await call];

    /// <summary>How an error names a worker.</summary>
    public static string Name(WorkerInfo worker) => $"worker {worker.Shard} (on silo {worker.Silo})";
}
