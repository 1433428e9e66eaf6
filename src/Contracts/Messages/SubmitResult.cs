namespace DistTrain.Contracts.Messages;

/// <summary>
/// The answer to a submission. A rejected spec comes back as a value, not an exception, so the
/// field name survives the trip to the client whatever the serializer does with exceptions.
/// </summary>
[GenerateSerializer, Immutable, Alias("DistTrain.SubmitResult")]
public sealed record SubmitResult
{
    [Id(0)] public bool Accepted { get; init; }

    /// <summary>The JobSpec property at fault, e.g. "GlobalBatchSize".</summary>
    [Id(1)] public string? Field { get; init; }

    [Id(2)] public string? Error { get; init; }

    public static SubmitResult Ok { get; } = new() { Accepted = true };

    public static SubmitResult Reject(string field, string error) => new() { Field = field, Error = error };
}
