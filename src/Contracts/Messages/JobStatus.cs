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

    /// <summary>The silo running the job grain.</summary>
    [Id(15)] public string? Silo { get; init; }

    /// <summary>How many times a lost worker was re-initialized and its step asked again.</summary>
    [Id(16)] public int WorkerRecoveries { get; init; }

    /// <summary>How many times the job was resumed from its checkpoint after losing its own silo.</summary>
    [Id(17)] public int Resumes { get; init; }

    /// <summary>G: silos whose workers combine their gradients first (one group per silo at the start).</summary>
    [Id(18)] public int Groups { get; init; }

    /// <summary>Data-plane bytes per step and silo, and where they went.</summary>
    [Id(19)] public IReadOnlyList<SiloTraffic> Traffic { get; init; } = [];

    /// <summary>How many times the parameter servers were rolled back to the last epoch's state
    /// after a slice was lost with its silo.</summary>
    [Id(20)] public int Rollbacks { get; init; }

    /// <summary>Why the last checkpoint could not be written (null when it was, or none is kept):
    /// the job goes on, but could not resume from that epoch.</summary>
    [Id(21)] public string? CheckpointError { get; init; }

    /// <summary>Each worker's compute time per step, in shard order: a straggler stands out.</summary>
    [Id(22)] public IReadOnlyList<WorkerTiming> WorkerTimings { get; init; } = [];

    /// <summary>Steps asked again (or epochs redone) because a worker missed its step deadline.</summary>
    [Id(23)] public int StuckRetries { get; init; }

    /// <summary>Why the job last rolled back, recovered a group or asked a step again (one sentence), or null.</summary>
    [Id(24)] public string? LastRecovery { get; init; }

    /// <summary>For a job that failed because of its spec (a dataset that cannot be read, a limit
    /// beyond the data), the <see cref="JobSpec"/> field at fault; null otherwise. The console counts
    /// such a failure as the user's mistake (exit code 2), not the cluster's.</summary>
    [Id(25)] public string? ErrorField { get; init; }

    public double? FinalTestAccuracy => Epochs.Count > 0 ? Epochs[^1].TestAccuracy : null;
}

/// <summary>One silo's data-plane traffic, per step on average since the job started.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.SiloTraffic")]
public sealed record SiloTraffic
{
    [Id(0)] public string Silo { get; init; } = "";

    [Id(1)] public double TcpBytesSentPerStep { get; init; }

    [Id(2)] public double TcpBytesReceivedPerStep { get; init; }

    [Id(3)] public double SharedBytesReadPerStep { get; init; }
}

/// <summary>One worker's compute time per step so far (milliseconds).</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.WorkerTiming")]
public sealed record WorkerTiming
{
    [Id(0)] public int Shard { get; init; }

    [Id(1)] public string Silo { get; init; } = "";

    /// <summary>Steps timed.</summary>
    [Id(2)] public long Steps { get; init; }

    /// <summary>Mean over every step timed.</summary>
    [Id(3)] public double MeanMs { get; init; }

    /// <summary>Mean over the last ~20 steps, weighted towards the latest.</summary>
    [Id(4)] public double RecentMs { get; init; }

    /// <summary>The slowest step timed (a run's steps count by their mean).</summary>
    [Id(5)] public double MaxMs { get; init; }
}
