namespace DistTrain.Contracts.Messages;

/// <summary>
/// Where a synchronous step's time goes, in milliseconds per step, averaged over a job's steps.
/// Fan-out = sending the weights to every worker and getting every gradient back.
/// </summary>
[GenerateSerializer, Immutable, Alias("DistTrain.StepTimings")]
public sealed record StepTimings
{
    [Id(0)] public long Steps { get; init; }

    /// <summary>Wall time of a whole step, as the job grain sees it.</summary>
    [Id(1)] public double StepMs { get; init; }

    /// <summary>Mean forward+backward time of a worker.</summary>
    [Id(2)] public double WorkerComputeMs { get; init; }

    /// <summary>How much longer the slowest worker computed than the mean (everyone waits for it).</summary>
    [Id(3)] public double SlowestWorkerWaitMs { get; init; }

    /// <summary>Fan-out wall time minus the slowest worker's compute: serialization, transport, scheduling.</summary>
    [Id(4)] public double TransportMs { get; init; }

    /// <summary>The parameter server's averaging and SGD update.</summary>
    [Id(5)] public double UpdateMs { get; init; }

    /// <summary>The call to the parameter server minus its update: messaging and copies.</summary>
    [Id(6)] public double UpdateCallMs { get; init; }
}
