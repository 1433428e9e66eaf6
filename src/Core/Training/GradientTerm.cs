namespace DistTrain.Core.Training;

/// <summary>
/// One term of a step's gradient: a vector (a shard's mean gradient, or a silo's pre-combined
/// partial sum) and the weight it enters the batch mean with.
/// </summary>
/// <remarks>A <see cref="ReadOnlyMemory{T}"/> rather than an array, so that a term can live in a
/// shared-memory segment of another process and be read in place.</remarks>
public readonly record struct GradientTerm(ReadOnlyMemory<float> Values, float Weight)
{
    /// <summary>The weight of a shard's mean gradient in the batch mean: its share of the batch's samples.</summary>
    public static float ShareOf(int count, int batchTotal) => (float)count / batchTotal;
}
