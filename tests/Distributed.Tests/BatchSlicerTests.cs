using DistTrain.Worker.Training;

namespace DistTrain.Distributed.Tests;

/// <summary>The split of global minibatches over workers: pure arithmetic, no cluster.</summary>
public sealed class BatchSlicerTests
{
    [Theory]
    [InlineData(100, 32, 1)]
    [InlineData(100, 32, 3)]
    [InlineData(100, 30, 4)]
    [InlineData(7, 5, 4)]
    [InlineData(2000, 30, 2)]
    public void Slices_TileEveryGlobalBatch_Contiguously(int samples, int batch, int workers)
    {
        var steps = BatchSlicer.StepsPerEpoch(samples, batch);
        var covered = 0;
        for (var step = 0; step < steps; step++)
        {
            var expectedStart = step * batch;
            for (var k = 0; k < workers; k++)
            {
                var (start, count) = BatchSlicer.Slice(samples, batch, workers, k, step);
                Assert.True(count >= 0);
                if (count > 0)
                {
                    Assert.Equal(expectedStart, start);
                }

                expectedStart += count;
                covered += count;
            }

            Assert.Equal(Math.Min((step + 1) * batch, samples), expectedStart);
        }

        Assert.Equal(samples, covered);
    }

    [Fact]
    public void Slice_GivesEachWorkerCeilingShare_TheLastTheRest()
    {
        // A batch of 30 over 4 workers: ⌈30/4⌉ = 8, so 8, 8, 8, 6.
        Assert.Equal((60, 8), BatchSlicer.Slice(1000, 30, 4, 0, 2));
        Assert.Equal((84, 6), BatchSlicer.Slice(1000, 30, 4, 3, 2));
    }
}
