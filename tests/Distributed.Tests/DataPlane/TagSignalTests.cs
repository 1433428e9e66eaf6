using DistTrain.Worker.DataPlane;

namespace DistTrain.Distributed.Tests.DataPlane;

/// <summary>Readers of this process waiting on a segment's tag are all woken by its publish, however
/// many start waiting at the same moment on a segment nobody has waited on before.</summary>
public sealed class TagSignalTests
{
    [Fact]
    public async Task ReadersStartingToWaitTogether_AreAllWokenByThePublish()
    {
        const int Segments = 1000, Readers = 16;
        for (var s = 0; s < Segments; s++)
        {
            using var segment = PinnedSegment.Create(16);
            using var start = new Barrier(Readers);
            // Each reader on a thread of its own, released together: their first waits race to set
            // the segment's signal up (the race that once left one of them unwoken for 10 s).
            var readers = Enumerable.Range(0, Readers).Select(_ => Task.Factory.StartNew(() =>
            {
                start.SignalAndWait();
                return segment.WaitForTagAsync(1, TimeSpan.FromSeconds(5)).AsTask();
            }, TaskCreationOptions.LongRunning).Unwrap()).ToArray();
            await Task.Delay(2);
            segment.Publish(1);
            var all = Task.WhenAll(readers);
            var done = await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(3)));
            Assert.True(done == all, $"segment {s}: {readers.Count(r => !r.IsCompleted)} of {Readers} readers were not woken by the publish");
            await all;
        }
    }
}
