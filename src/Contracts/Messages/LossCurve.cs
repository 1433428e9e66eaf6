namespace DistTrain.Contracts.Messages;

/// <summary>A job's training loss at some of its steps, in step order (steps count from 1).</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.LossCurve")]
public sealed record LossCurve
{
    [Id(0)] public IReadOnlyList<long> Steps { get; init; } = [];

    [Id(1)] public IReadOnlyList<double> Losses { get; init; } = [];
}
