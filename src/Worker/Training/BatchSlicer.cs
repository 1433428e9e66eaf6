namespace DistTrain.Worker.Training;

/// <summary>
/// Where a worker's rows lie in one global minibatch. Pure arithmetic, shared by workers and tests.
/// </summary>
/// <remarks>
/// Global batch <c>b</c> of an epoch covers positions [b·B, b·B + m) of the epoch's permutation,
/// with m = min(B, N − b·B). It is cut contiguously into K slices of c = ⌈m/K⌉ rows: worker k takes
/// [b·B + k·c, min(b·B + (k+1)·c, b·B + m)). Trailing workers may get fewer rows, or none.
/// Because the K slices tile the batch exactly, the count-weighted mean of their mean gradients is the
/// mean gradient of the whole batch: what single-process training computes.
/// </remarks>
public static class BatchSlicer
{
    public static int StepsPerEpoch(int sampleCount, int globalBatchSize) =>
        (sampleCount + globalBatchSize - 1) / globalBatchSize;

    /// <summary>Start (in permutation positions) and length of worker <paramref name="shard"/>'s slice.</summary>
    public static (int Start, int Count) Slice(int sampleCount, int globalBatchSize, int shardCount, int shard, int stepInEpoch)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(globalBatchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shardCount);
        ArgumentOutOfRangeException.ThrowIfNegative(shard);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(shard, shardCount);

        var batchStart = (long)stepInEpoch * globalBatchSize;
        if (stepInEpoch < 0 || batchStart >= sampleCount)
        {
            throw new ArgumentOutOfRangeException(nameof(stepInEpoch), stepInEpoch, "past the end of the epoch");
        }

        var batchCount = (int)Math.Min(globalBatchSize, sampleCount - batchStart);
        var perShard = (batchCount + shardCount - 1) / shardCount;
        var from = Math.Min((long)shard * perShard, batchCount);
        var to = Math.Min(from + perShard, batchCount);
        return ((int)(batchStart + from), (int)(to - from));
    }
}
