using DistTrain.Contracts.Payloads;

namespace DistTrain.Contracts.Messages;

/// <summary>A published parameter vector. A new block per version: published blocks never change.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.WeightsSnapshot")]
public sealed record WeightsSnapshot
{
    [Id(0)] public long Version { get; init; }

    /// <summary>The last global step applied (-1 before the first).</summary>
    [Id(1)] public long AppliedStep { get; init; } = -1;

    [Id(2)] public FloatBlock Weights { get; init; } = FloatBlock.Empty;

    /// <summary>Seconds the parameter server spent averaging and applying the step that made this version.</summary>
    [Id(3)] public double UpdateSeconds { get; init; }
}

/// <summary>Gradients of one step, ordered by shard, for the parameter server to apply.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.StepGradients")]
public sealed record StepGradients
{
    [Id(0)] public long GlobalStep { get; init; }

    [Id(1)] public IReadOnlyList<ShardGradient> Shards { get; init; } = [];
}

/// <summary>Test-set accuracy of one parameter version, over one worker's slice of the test set.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.Evaluation")]
public sealed record Evaluation
{
    [Id(0)] public long Version { get; init; }

    [Id(1)] public double Accuracy { get; init; }

    [Id(2)] public int Count { get; init; }

    /// <summary>Correctly classified samples among <see cref="Count"/>: shards' counts add up exactly.</summary>
    [Id(3)] public int Correct { get; init; }
}
