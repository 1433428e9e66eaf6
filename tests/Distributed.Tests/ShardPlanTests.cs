using DistTrain.Core.Training;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// The premise of the equivalence: K workers' shards tile every global minibatch, contiguously and
/// in shard order. Pure arithmetic, no cluster.
/// </summary>
public sealed class ShardPlanTests
{
    [Theory]
    [InlineData(100, 32, 1)]
    [InlineData(100, 32, 3)]
    [InlineData(100, 30, 4)]
    [InlineData(7, 5, 4)]
    [InlineData(2000, 30, 2)]
    public void Shards_TileEveryGlobalBatch_Contiguously(int samples, int batch, int workers)
    {
        var covered = 0;
        for (var step = 0; step < BatchPlan.StepsPerEpoch(samples, batch); step++)
        {
            var (batchStart, batchLength) = BatchPlan.Batch(samples, batch, step);
            Assert.Equal(covered, batchStart);
            var next = 0;
            for (var k = 0; k < workers; k++)
            {
                var (start, length) = BatchPlan.Shard(batchLength, k, workers);
                Assert.True(length >= 0);
                if (length > 0)
                {
                    Assert.Equal(next, start);
                }

                next += length;
            }

            Assert.Equal(batchLength, next);
            covered += batchLength;
        }

        Assert.Equal(samples, covered);
    }
}
