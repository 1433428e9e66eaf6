using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Checkpoints;

/// <summary>
/// What a job needs to carry on on another silo: its status (spec, finished epochs) and, for a
/// running job, the parameter server's state at the end of its last finished epoch.
/// </summary>
[GenerateSerializer, Alias("DistTrain.JobCheckpoint")]
public sealed record JobCheckpoint
{
    public const int CurrentFormat = 1;

    [Id(0)] public int Format { get; init; } = CurrentFormat;

    [Id(1)] public JobStatus Status { get; init; } = new();

    /// <summary>Null once the job has finished (its status is all that is kept).</summary>
    [Id(2)] public ParameterCheckpoint? Parameters { get; init; }
}
