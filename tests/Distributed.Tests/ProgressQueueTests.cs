using DistTrain.Contracts.Messages;
using DistTrain.Worker.Training;

namespace DistTrain.Distributed.Tests;

/// <summary>A watcher that stops reading: its queue stays bounded, and it still gets every epoch
/// and the end, in order, when it reads again.</summary>
public sealed class ProgressQueueTests
{
    private static JobProgress Step(long step) => new() { Kind = ProgressKind.Step, Step = step };

    private static JobProgress Epoch(int epoch) => new() { Kind = ProgressKind.Epoch, Epoch = epoch };

    [Fact]
    public async Task AStalledWatcher_HoldsTwoEventsAnEpoch_AndLosesNoEpochOrTheEnd()
    {
        var queue = new ProgressQueue();
        long step = 0;
        for (var epoch = 1; epoch <= 5; epoch++)
        {
            for (var i = 0; i < 10_000; i++)
            {
                queue.Write(Step(++step));
            }
            queue.Write(Epoch(epoch));
        }
        queue.Write(new JobProgress { Kind = ProgressKind.Finished });
        queue.Complete();

        Assert.Equal(11, queue.Count); // a step and an epoch per epoch, and the end: not 50,006
        var read = new List<JobProgress>();
        await foreach (var progress in queue.ReadAllAsync())
        {
            read.Add(progress);
        }
        Assert.Equal([1, 2, 3, 4, 5], read.Where(p => p.Kind == ProgressKind.Epoch).Select(p => p.Epoch));
        Assert.Equal(ProgressKind.Finished, read[^1].Kind);
        Assert.Equal([10_000L, 20_000, 30_000, 40_000, 50_000], read.Where(p => p.Kind == ProgressKind.Step).Select(p => p.Step));
    }

    [Fact]
    public async Task AReadingWatcher_GetsEventsAsTheyCome()
    {
        var queue = new ProgressQueue();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var reader = queue.ReadAllAsync(timeout.Token).GetAsyncEnumerator();

        var next = reader.MoveNextAsync().AsTask();
        queue.Write(Step(1));
        Assert.True(await next);
        Assert.Equal(1, reader.Current.Step);

        next = reader.MoveNextAsync().AsTask();
        queue.Complete();
        Assert.False(await next);
    }
}
