using DistTrain.Contracts.Payloads;

namespace DistTrain.Contracts.Messages;

/// <summary>
/// Everything the parameter server needs to carry on from a step: the parameters of a version and
/// the optimizer's state (momentum velocity, step count). Copies: they outlive the server's buffers.
/// </summary>
[GenerateSerializer, Immutable, Alias("DistTrain.ParameterCheckpoint")]
public sealed record ParameterCheckpoint
{
    [Id(0)] public long Version { get; init; }

    /// <summary>The last global step applied (-1 before the first).</summary>
    [Id(1)] public long AppliedStep { get; init; } = -1;

    [Id(2)] public FloatBlock Weights { get; init; } = FloatBlock.Empty;

    /// <summary>The momentum velocity; empty without momentum.</summary>
    [Id(3)] public FloatBlock Velocity { get; init; } = FloatBlock.Empty;

    [Id(4)] public long OptimizerSteps { get; init; }

    /// <summary>`--wire bf16`: what each worker group's rounding has dropped so far and will add to
    /// its next gradient (error feedback), group by group; empty for fp32. Without it, a rolled-back
    /// or resumed bf16 job would lose that share of the gradients and end elsewhere than an
    /// uninterrupted one.</summary>
    [Id(5)] public IReadOnlyList<FloatBlock> Feedback { get; init; } = [];
}
