using System.Numerics.Tensors;

namespace DistTrain.Core.Training;

/// <summary>
/// Combines shard gradients into the full-batch gradient: Σ_k (n_k / n)·g_k, always in a fixed
/// order (so the result is bit-identical whatever order the shards finished in).
/// </summary>
public static class GradientAverage
{
    /// <summary>Floats combined per chunk: small enough that a chunk's sums stay in L1.</summary>
    internal const int Chunk = 1024;

    public static void Combine(ReadOnlySpan<float[]> gradients, ReadOnlySpan<int> counts, Span<float> destination) =>
        Combine(gradients, counts, destination, 0);

    /// <summary>The same for the range of the vector that starts at <paramref name="start"/> and is
    /// as long as <paramref name="destination"/>: disjoint ranges can be combined in parallel, with
    /// results identical to the whole-vector call. One group: the plain shard-order sum.</summary>
    public static void Combine(ReadOnlySpan<float[]> gradients, ReadOnlySpan<int> counts, Span<float> destination, int start)
    {
        Span<GradientTerm> terms = new GradientTerm[gradients.Length];
        Span<int> ends = stackalloc int[1];
        var n = ReductionGroups.Arrange(gradients, counts, 1, terms, ends);
        CombineGroups(terms[..n], ends, destination, start);
    }

    /// <summary>
    /// Σ_g (Σ_{t in group g} w_t·x_t): each group's terms summed in order (first a product, then
    /// product-and-add, separately rounded as TensorPrimitives computes them), the group sums added in
    /// group order. A group given as one pre-combined term of weight 1 gives exactly the bits it would
    /// have given as its separate terms, which is what lets a silo combine its own workers first.
    /// Writes the range [start, start + destination.Length) of the vector.
    /// </summary>
    [System.Runtime.CompilerServices.SkipLocalsInit] // the scratch is written before it is read
    public static void CombineGroups(ReadOnlySpan<GradientTerm> terms, ReadOnlySpan<int> groupEnds, Span<float> destination, int start)
    {
        Span<float> group = groupEnds.Length > 1 ? stackalloc float[Chunk] : default;
        for (var offset = 0; offset < destination.Length; offset += Chunk)
        {
            var length = Math.Min(Chunk, destination.Length - offset);
            var total = destination.Slice(offset, length);
            var any = false;
            var first = 0;
            foreach (var end in groupEnds)
            {
                if (end == first)
                {
                    continue; // a group without samples adds nothing
                }
                // The first group sums straight into the destination; later ones into the scratch.
                var sum = any ? group[..length] : total;
                for (var t = first; t < end; t++)
                {
                    var source = terms[t].Values.Span.Slice(start + offset, length);
                    if (t == first)
                    {
                        TensorPrimitives.Multiply(source, terms[t].Weight, sum);
                    }
                    else
                    {
                        TensorPrimitives.MultiplyAdd(source, terms[t].Weight, sum, sum);
                    }
                }
                if (any)
                {
                    TensorPrimitives.Add(sum, total, total);
                }
                any = true;
                first = end;
            }
            if (!any)
            {
                total.Clear(); // no samples at all
            }
        }
    }
}
