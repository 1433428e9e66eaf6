using DistTrain.Contracts.Payloads;

namespace DistTrain.Contracts.Messages;

/// <summary>Which part of the parameter vector a parameter-server slice owns: slice s of P, cut as
/// <c>BatchPlan.VectorPart</c> cuts vectors.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.SliceSetup")]
public sealed record SliceSetup
{
    [Id(0)] public JobSpec Spec { get; init; } = new();

    [Id(1)] public int Slice { get; init; }

    [Id(2)] public int Slices { get; init; } = 1;

    /// <summary>Other processes will read this slice's weights: keep them in shared memory.</summary>
    [Id(3)] public bool Shared { get; init; }

    /// <summary>The job activation's generation (its checkpoint fencing token): a slice set up by
    /// one activation refuses every request of an older one.</summary>
    [Id(4)] public long Generation { get; init; }
}

/// <summary>One step's gradients for a slice to apply: every group's share, in group order.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.SliceStep")]
public sealed record SliceStep
{
    [Id(0)] public long GlobalStep { get; init; }

    [Id(1)] public IReadOnlyList<GroupGradient> Groups { get; init; } = [];

    /// <summary>The round covers global steps GlobalStep … GlobalStep + LocalSteps − 1.</summary>
    [Id(2)] public int LocalSteps { get; init; } = 1;

    /// <summary>The generation of the job activation that sends the step.</summary>
    [Id(3)] public long Generation { get; init; }
}

/// <summary>A slice's published weights after a step (or at setup).</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.SliceWeights")]
public sealed record SliceWeights
{
    [Id(0)] public int Slice { get; init; }

    [Id(1)] public long Version { get; init; }

    /// <summary>The last global step applied (-1 before the first).</summary>
    [Id(2)] public long AppliedStep { get; init; } = -1;

    [Id(3)] public BlockRef Weights { get; init; } = new();

    /// <summary>Averaging and the SGD update of this slice (reading gradients in place included).</summary>
    [Id(4)] public double UpdateSeconds { get; init; }

    /// <summary>Fetching gradient slices from other hosts before the update.</summary>
    [Id(5)] public double FetchSeconds { get; init; }

    [Id(6)] public DataPlaneTraffic Traffic { get; init; } = new();

    /// <summary>The silo holding the slice.</summary>
    [Id(7)] public string Silo { get; init; } = "";

    /// <summary>The slice's two weight buffers (version v in buffer v mod 2), for runs of steps.</summary>
    [Id(8)] public IReadOnlyList<BlockRef> Buffers { get; init; } = [];
}

/// <summary>The slice's side of a <see cref="GroupRun"/>: for each step, wait for every group's
/// gradient of that step, update, publish the next version.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.SliceRun")]
public sealed record SliceRun
{
    [Id(0)] public long FirstStep { get; init; }

    [Id(1)] public int Steps { get; init; }

    /// <summary>Every group's gradient block, in group order.</summary>
    [Id(2)] public IReadOnlyList<BlockRef> Partials { get; init; } = [];

    /// <summary>H: each of the run's steps is a round of H global steps.</summary>
    [Id(3)] public int LocalSteps { get; init; } = 1;

    /// <summary>The generation of the job activation that sends the run.</summary>
    [Id(4)] public long Generation { get; init; }
}
