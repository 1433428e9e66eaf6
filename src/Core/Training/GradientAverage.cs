using System.Numerics.Tensors;

namespace DistTrain.Core.Training;

/// <summary>
/// Combines shard gradients into the full-batch gradient: Σ_k (n_k / n)·g_k, always in shard order
/// (so the result is bit-identical whatever order the shards finished in).
/// </summary>
public static class GradientAverage
{
    public static void Combine(ReadOnlySpan<float[]> gradients, ReadOnlySpan<int> counts, Span<float> destination) =>
        Combine(gradients, counts, destination, 0);

    /// <summary>The same for the range of the vector that starts at <paramref name="start"/> and is
    /// as long as <paramref name="destination"/>: disjoint ranges can be combined in parallel, with
    /// results identical to the whole-vector call.</summary>
    public static void Combine(ReadOnlySpan<float[]> gradients, ReadOnlySpan<int> counts, Span<float> destination, int start)
    {
        var total = 0;
        foreach (var c in counts)
        {
            total += c;
        }
        var first = true;
        for (var k = 0; k < gradients.Length; k++)
        {
            if (counts[k] == 0)
            {
                continue;
            }
            var source = gradients[k].AsSpan(start, destination.Length);
            var weight = (float)counts[k] / total;
            if (first)
            {
                TensorPrimitives.Multiply(source, weight, destination); // no clearing pass first
                first = false;
            }
            else
            {
                TensorPrimitives.MultiplyAdd(source, weight, destination, destination);
            }
        }
        if (first)
        {
            destination.Clear(); // no samples at all
        }
    }
}
