namespace DistTrain.Contracts.Messages;

/// <summary>One finished epoch: mean training loss over its steps, and test accuracy after it.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.EpochSummary")]
public sealed record EpochSummary
{
    /// <summary>From 1.</summary>
    [Id(0)] public int Epoch { get; init; }

    [Id(1)] public int Steps { get; init; }

    [Id(2)] public double TrainLoss { get; init; }

    [Id(3)] public double TestAccuracy { get; init; }

    [Id(4)] public double SamplesPerSecond { get; init; }
}
