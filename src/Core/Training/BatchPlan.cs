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

    /// <summary>Samples in batches <paramref name="step"/> … <paramref name="step"/> + <paramref name="steps"/> − 1
    /// (a round of local SGD; one batch when <paramref name="steps"/> is 1).</summary>
    public static int RoundSamples(int sampleCount, int batchSize, int step, int steps)
    {
        var total = 0;
        for (var i = 0; i < steps; i++)
        {
            total += Math.Max(0, Batch(sampleCount, batchSize, step + i).Length);
        }
        return total;
    }

    /// <summary>Shard <paramref name="shard"/> of <paramref name="shardCount"/> of a batch of
    /// <paramref name="batchLength"/>: contiguous slices of ⌈length/K⌉ (the last ones may be shorter or empty).</summary>
    public static (int Start, int Length) Shard(int batchLength, int shard, int shardCount)
    {
        var per = (batchLength + shardCount - 1) / shardCount;
        var start = Math.Min(shard * per, batchLength);
        return (start, Math.Min(per, batchLength - start));
    }

    /// <summary>Part <paramref name="part"/> of <paramref name="parts"/> of a vector of
    /// <paramref name="length"/> floats, cut at cache-line boundaries (16 floats) so that cores
    /// updating neighbouring parts never write the same line.</summary>
    public static (int Start, int Length) VectorPart(int length, int part, int parts)
    {
        var lines = (length + 15) / 16;
        var (firstLine, lineCount) = Shard(lines, part, parts);
        var start = Math.Min(firstLine * 16, length);
        return (start, Math.Max(0, Math.Min(lineCount * 16, length - start)));
    }
}
