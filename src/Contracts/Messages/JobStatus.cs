namespace DistTrain.Contracts.Messages;

/// <summary>A snapshot of a job, as <c>status</c> shows it.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.JobStatus")]
public sealed record JobStatus
{
    [Id(0)] public string JobId { get; init; } = "";

    [Id(1)] public JobState State { get; init; }

    [Id(2)] public JobSpec? Spec { get; init; }

    /// <summary>The epoch running now, or the last one run (from 1; 0 before the first step).</summary>
    [Id(3)] public int Epoch { get; init; }

    /// <summary>Optimizer steps taken so far, over all epochs.</summary>
    [Id(4)] public long Step { get; init; }

    [Id(5)] public long TotalSteps { get; init; }

    [Id(6)] public int StepsPerEpoch { get; init; }

    /// <summary>Mean loss of the last step's global minibatch.</summary>
    [Id(7)] public double Loss { get; init; }

    [Id(8)] public IReadOnlyList<EpochSummary> Epochs { get; init; } = [];

    [Id(9)] public double SamplesPerSecond { get; init; }

    [Id(10)] public DateTimeOffset? StartedAt { get; init; }

    [Id(11)] public DateTimeOffset? EndedAt { get; init; }

    [Id(12)] public string? Error { get; init; }

    /// <summary>Parameter-vector version held by the parameter server (one per applied step).</summary>
    [Id(13)] public long WeightsVersion { get; init; }

    /// <summary>Mean per-step time breakdown so far.</summary>
    [Id(14)] public StepTimings? Timings { get; init; }

    /// <summary>The silo running the job grain (and its parameter server).</summary>
    [Id(15)] public string? Silo { get; init; }

    /// <summary>How many times a lost worker was re-initialized and its step asked again.</summary>
    [Id(16)] public int WorkerRecoveries { get; init; }

    /// <summary>How many times the job was resumed from its checkpoint after losing its own silo.</summary>
    [Id(17)] public int Resumes { get; init; }

    public double? FinalTestAccuracy => Epochs.Count > 0 ? Epochs[^1].TestAccuracy : null;
}
