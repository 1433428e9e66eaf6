using DistTrain.Contracts.Payloads;

namespace DistTrain.Contracts.Messages;

/// <summary>What the worker group of one silo needs: its workers are the shards g, g+G, g+2G, … of K.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.GroupSetup")]
public sealed record GroupSetup
{
    [Id(0)] public string JobId { get; init; } = "";

    [Id(1)] public int Group { get; init; }

    /// <summary>G: one group per silo the job started on (at most one per worker).</summary>
    [Id(2)] public int Groups { get; init; }

    [Id(3)] public JobSpec Spec { get; init; } = new();

    /// <summary>The global step the job (re)starts from: a resumed job sets its workers up afresh.</summary>
    [Id(4)] public long StartStep { get; init; }
}

/// <summary>One synchronous step for one silo's group: where the step lies and where the weights are.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.GroupStep")]
public sealed record GroupStep
{
    /// <summary>From 1, as the local trainer counts; with the seed it fixes the sample order.</summary>
    [Id(0)] public int Epoch { get; init; }

    [Id(1)] public int StepInEpoch { get; init; }

    [Id(2)] public long GlobalStep { get; init; }

    [Id(3)] public long Version { get; init; }

    /// <summary>The weights of <see cref="Version"/>, one block per parameter-server slice, in slice order.</summary>
    [Id(4)] public IReadOnlyList<BlockRef> Weights { get; init; } = [];

    /// <summary>Hand the workers' gradients back as they are (one group, everything in one silo)
    /// instead of combining them into a data-plane block.</summary>
    [Id(5)] public bool Inline { get; init; }
}

/// <summary>A silo's share of one step: its workers' gradients, combined or as they are.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.GroupGradient")]
public sealed record GroupGradient
{
    [Id(0)] public int Group { get; init; }

    [Id(1)] public long GlobalStep { get; init; }

    /// <summary>Rows of the global minibatch the group's workers processed.</summary>
    [Id(2)] public int SampleCount { get; init; }

    /// <summary>The workers' mean losses, in shard order (for the count-weighted batch loss).</summary>
    [Id(3)] public IReadOnlyList<ShardLoss> Losses { get; init; } = [];

    /// <summary>Σ_k (n_k / n)·g_k over the group's shards, in a data-plane block; null when <see cref="Shards"/> carries them.</summary>
    [Id(4)] public BlockRef? Partial { get; init; }

    /// <summary>The workers' own gradients, for an inline step.</summary>
    [Id(5)] public IReadOnlyList<ShardGradient> Shards { get; init; } = [];

    [Id(6)] public double MeanComputeSeconds { get; init; }

    [Id(7)] public double MaxComputeSeconds { get; init; }

    /// <summary>Combining the workers' gradients inside the silo.</summary>
    [Id(8)] public double CombineSeconds { get; init; }

    /// <summary>Fetching the weights from the parameter-server slices.</summary>
    [Id(9)] public double FetchSeconds { get; init; }

    [Id(10)] public DataPlaneTraffic Traffic { get; init; } = new();

    [Id(11)] public int Workers { get; init; }
}

[GenerateSerializer, Immutable, Alias("DistTrain.ShardLoss")]
public readonly record struct ShardLoss([property: Id(0)] int Shard, [property: Id(1)] int Count, [property: Id(2)] double Loss);

/// <summary>A silo's data-plane counters since it started (each silo reports its own).</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.DataPlaneTraffic")]
public sealed record DataPlaneTraffic
{
    [Id(0)] public string Silo { get; init; } = "";

    [Id(1)] public long TcpBytesSent { get; init; }

    [Id(2)] public long TcpBytesReceived { get; init; }

    /// <summary>Bytes read from other processes' shared-memory segments (copied or read in place).</summary>
    [Id(3)] public long SharedBytesRead { get; init; }
}
