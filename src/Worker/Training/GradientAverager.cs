using DistTrain.Contracts.Messages;
using DistTrain.Core.Training;

namespace DistTrain.Worker.Training;

/// <summary>
/// The count-weighted mean of the shards' mean gradients = the mean gradient of the whole batch.
/// </summary>
public static class GradientAverager
{
    /// <summary>
    /// Sums in shard order whatever order the shards arrived in: floating-point addition is not
    /// associative, and a fixed order is what makes two runs bit-identical.
    /// </summary>
    public static float[] WeightedMean(IReadOnlyList<ShardGradient> shards, int length) =>
        WeightedMean(shards, new float[length]);

    /// <summary>The same, written into <paramref name="mean"/> (reused by the parameter server).</summary>
    public static float[] WeightedMean(IReadOnlyList<ShardGradient> shards, float[] mean)
    {
        var (gradients, counts) = Ordered(shards, mean.Length);
        // The core's combination, so K workers add in exactly the order of the local trainer's K cores.
        GradientAverage.Combine(gradients, counts, mean);
        return mean;
    }

    /// <summary>The shards' gradients and sample counts in shard order, checked for length.</summary>
    public static (float[][] Gradients, int[] Counts) Ordered(IReadOnlyList<ShardGradient> shards, int length)
    {
        var ordered = shards.OrderBy(s => s.Shard).ToArray();
        var gradients = new float[ordered.Length][];
        var counts = new int[ordered.Length];
        for (var k = 0; k < ordered.Length; k++)
        {
            var shard = ordered[k];
            if (shard.SampleCount > 0 && shard.Gradient.Length != length)
            {
                throw new InvalidOperationException($"Shard {shard.Shard} sent {shard.Gradient.Length} values for {length} parameters");
            }

            gradients[k] = shard.Gradient.ReadOnlyArray();
            counts[k] = shard.SampleCount;
        }

        if (counts.Sum() == 0)
        {
            throw new InvalidOperationException("No shard processed any sample in this step");
        }

        return (gradients, counts);
    }

    /// <summary>Count-weighted mean of the shards' mean losses.</summary>
    public static double WeightedLoss(IReadOnlyList<ShardGradient> shards)
    {
        double sum = 0;
        long total = 0;
        foreach (var shard in shards.OrderBy(s => s.Shard))
        {
            sum += shard.Loss * shard.SampleCount;
            total += shard.SampleCount;
        }

        return total == 0 ? 0 : sum / total;
    }
}
