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

    /// <summary>H: a round of local SGD (see <see cref="StepRequest.LocalSteps"/>); 1 = one step.</summary>
    [Id(6)] public int LocalSteps { get; init; } = 1;

    /// <summary>How long each worker may take over the step (or round) before it counts as stuck
    /// (<see cref="WorkerStuckException"/>); zero: no deadline.</summary>
    [Id(7)] public TimeSpan StepDeadline { get; init; }
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

    /// <summary>Each worker's compute time for the step, in shard order.</summary>
    [Id(12)] public IReadOnlyList<ShardTime> ShardTimes { get; init; } = [];
}

/// <summary>How long shard <paramref name="Shard"/>'s worker computed, over one step or summed over a run's steps.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.ShardTime")]
public readonly record struct ShardTime([property: Id(0)] int Shard, [property: Id(1)] double Seconds);

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

/// <summary>What a group's setup answers: its workers and its gradient block.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.GroupInfo")]
public sealed record GroupInfo
{
    [Id(0)] public IReadOnlyList<WorkerInfo> Workers { get; init; } = [];

    /// <summary>Where the group publishes its combined gradient, tagged with the step.</summary>
    [Id(1)] public BlockRef Partial { get; init; } = new();
}

/// <summary>
/// Steps [FirstStep, FirstStep + Steps) of one epoch, run by the groups and slices among themselves
/// over the data plane: each waits for the blocks it needs to hold the step's tag, so no grain
/// call sits between two steps.
/// </summary>
[GenerateSerializer, Immutable, Alias("DistTrain.GroupRun")]
public sealed record GroupRun
{
    [Id(0)] public int Epoch { get; init; }

    [Id(1)] public int FirstStepInEpoch { get; init; }

    [Id(2)] public long FirstStep { get; init; }

    [Id(3)] public int Steps { get; init; }

    /// <summary>The weights version the first step uses; step i uses version FirstVersion + i.</summary>
    [Id(4)] public long FirstVersion { get; init; }

    /// <summary>Every slice's two weight buffers, slice by slice (version v is in buffer v mod 2).</summary>
    [Id(5)] public IReadOnlyList<BlockRef> SliceBuffers { get; init; } = [];

    /// <summary>H: each of the run's <see cref="Steps"/> is a round of H local steps (global steps
    /// FirstStep + i·H …); 1 = synchronous steps.</summary>
    [Id(6)] public int LocalSteps { get; init; } = 1;

    /// <summary>How long each worker may take over one of the run's steps (or rounds) before it
    /// counts as stuck; zero: no deadline.</summary>
    [Id(7)] public TimeSpan StepDeadline { get; init; }
}

/// <summary>A group's account of a run of steps.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.GroupRunResult")]
public sealed record GroupRunResult
{
    [Id(0)] public int Group { get; init; }

    /// <summary>Per step (or round): Σ over the group's shards of (mean loss · rows).</summary>
    [Id(1)] public IReadOnlyList<double> LossSums { get; init; } = [];

    /// <summary>Per step: the rows the group's shards processed.</summary>
    [Id(2)] public IReadOnlyList<int> Samples { get; init; } = [];

    /// <summary>Summed over the steps: the mean worker's compute, the slowest worker's, the combine and the weight fetch.</summary>
    [Id(3)] public double MeanComputeSeconds { get; init; }

    [Id(4)] public double MaxComputeSeconds { get; init; }

    [Id(5)] public double CombineSeconds { get; init; }

    [Id(6)] public double FetchSeconds { get; init; }

    [Id(7)] public int Workers { get; init; }

    [Id(8)] public DataPlaneTraffic Traffic { get; init; } = new();

    /// <summary>Each worker's compute time summed over the run's steps, in shard order.</summary>
    [Id(9)] public IReadOnlyList<ShardTime> ShardTimes { get; init; } = [];
}
