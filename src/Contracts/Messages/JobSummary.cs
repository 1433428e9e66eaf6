namespace DistTrain.Contracts.Messages;

/// <summary>One entry of the job registry.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.JobSummary")]
public sealed record JobSummary
{
    [Id(0)] public string JobId { get; init; } = "";

    [Id(1)] public DateTimeOffset SubmittedAt { get; init; }
}
