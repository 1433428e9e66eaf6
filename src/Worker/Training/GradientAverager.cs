using System.Numerics.Tensors;
using DistTrain.Contracts.Messages;

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
    public static float[] WeightedMean(IReadOnlyList<ShardGradient> shards, int length)
    {
        var ordered = shards.OrderBy(s => s.Shard).ToArray();
        long total = 0;
        foreach (var shard in ordered)
        {
            total += shard.SampleCount;
        }

        if (total == 0)
        {
            throw new InvalidOperationException("No shard processed any sample in this step");
        }

        var mean = new float[length];
        foreach (var shard in ordered)
        {
            if (shard.SampleCount == 0)
            {
                continue;
            }

            if (shard.Gradient.Length != length)
            {
                throw new InvalidOperationException($"Shard {shard.Shard} sent {shard.Gradient.Length} values for {length} parameters");
            }

            TensorPrimitives.MultiplyAdd(shard.Gradient.Span, (float)((double)shard.SampleCount / total), mean, mean);
        }

        return mean;
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
