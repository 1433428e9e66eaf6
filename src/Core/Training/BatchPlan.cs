namespace DistTrain.Core.Training;

/// <summary>
/// How an epoch is cut into global minibatches and a minibatch into shards. The same rule serves
/// the cores of the local trainer and the worker grains of the cluster, which is why K workers
/// process exactly the samples of single-process training with the same global batch.
/// </summary>
public static class BatchPlan
{
    /// <summary>Steps per epoch; the last batch may be shorter (it is kept, as in PyTorch).</summary>
    public static int StepsPerEpoch(int sampleCount, int batchSize) => (sampleCount + batchSize - 1) / batchSize;

    /// <summary>The positions [Start, Start+Length) of the epoch's order that form batch <paramref name="step"/>.</summary>
    public static (int Start, int Length) Batch(int sampleCount, int batchSize, int step)
    {
        var start = step * batchSize;
        return (start, Math.Min(batchSize, sampleCount - start));
    }

    /// <summary>Shard <paramref name="shard"/> of <paramref name="shardCount"/> of a batch of
    /// <paramref name="batchLength"/>: contiguous slices of ⌈length/K⌉ (the last ones may be shorter or empty).</summary>
    public static (int Start, int Length) Shard(int batchLength, int shard, int shardCount)
    {
        var per = (batchLength + shardCount - 1) / shardCount;
        var start = Math.Min(shard * per, batchLength);
        return (start, Math.Min(per, batchLength - start));
    }
}
