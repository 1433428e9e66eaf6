using DistTrain.Contracts.Payloads;

namespace DistTrain.Contracts.Messages;

/// <summary>
/// One synchronous step for one worker: the weights of <see cref="Version"/> and where the step lies.
/// </summary>
/// <remarks>(job, <see cref="GlobalStep"/>, shard) names the work: a repeated request returns the
/// same gradient, which is what makes a retry after a timeout safe.</remarks>
[GenerateSerializer, Immutable, Alias("DistTrain.StepRequest")]
public sealed record StepRequest
{
    /// <summary>From 1, as the local trainer counts; with the seed it fixes the sample order.</summary>
    [Id(0)] public int Epoch { get; init; }

    /// <summary>Index of the global minibatch within the epoch.</summary>
    [Id(1)] public int StepInEpoch { get; init; }

    [Id(2)] public long GlobalStep { get; init; }

    [Id(3)] public long Version { get; init; }

    [Id(4)] public FloatBlock Weights { get; init; } = FloatBlock.Empty;

    /// <summary>H: local SGD steps from these weights, on this worker's shards of batches
    /// StepInEpoch … StepInEpoch + H − 1; the answer is then the pseudo-gradient (w − w_H) / η.</summary>
    [Id(5)] public int LocalSteps { get; init; } = 1;
}

/// <summary>A worker's share of one step: the mean gradient over its rows and how many rows.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.ShardGradient")]
public sealed record ShardGradient
{
    [Id(0)] public int Shard { get; init; }

    [Id(1)] public long GlobalStep { get; init; }

    /// <summary>Rows of the global minibatch this worker processed (0 for a trailing empty slice).</summary>
    [Id(2)] public int SampleCount { get; init; }

    /// <summary>Mean loss over those rows.</summary>
    [Id(3)] public double Loss { get; init; }

    [Id(4)] public FloatBlock Gradient { get; init; } = FloatBlock.Empty;

    /// <summary>Seconds the worker spent computing (forward and backward), for the step breakdown.</summary>
    [Id(5)] public double ComputeSeconds { get; init; }
}
