namespace DistTrain.Contracts.Messages;

[GenerateSerializer, Alias("DistTrain.ProgressKind")]
public enum ProgressKind
{
    Step,
    Epoch,
    Finished,
}

/// <summary>One event pushed to watchers: after every step, after every epoch, and once at the end.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.JobProgress")]
public sealed record JobProgress
{
    [Id(0)] public string JobId { get; init; } = "";

    [Id(1)] public ProgressKind Kind { get; init; }

    [Id(2)] public JobState State { get; init; }

    [Id(3)] public int Epoch { get; init; }

    [Id(4)] public int Epochs { get; init; }

    [Id(5)] public long Step { get; init; }

    [Id(6)] public long TotalSteps { get; init; }

    [Id(7)] public double Loss { get; init; }

    /// <summary>Set on <see cref="ProgressKind.Epoch"/> events.</summary>
    [Id(8)] public double? TestAccuracy { get; init; }

    [Id(9)] public double SamplesPerSecond { get; init; }

    [Id(10)] public string? Error { get; init; }
}
