namespace DistTrain.Contracts.Messages;

/// <summary>
/// Where a synchronous step's time goes, in milliseconds per step, averaged over a job's steps.
/// A step has two phases: the groups' (fetch the weights, compute, combine inside each silo) and
/// the parameter-server slices' (read the groups' gradients, update). Transport is everything in
/// those phases that is neither computing, combining nor updating: the data plane's reads and the
/// Orleans control messages.
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

    /// <summary>Step wall time minus the slowest worker's compute, the slowest combine and the
    /// slowest update: data-plane reads, control messages, scheduling.</summary>
    [Id(4)] public double TransportMs { get; init; }

    /// <summary>The slowest parameter-server slice's averaging and SGD update.</summary>
    [Id(5)] public double UpdateMs { get; init; }

    /// <summary>The calls to the parameter-server slices minus their update: messaging and gradient reads.</summary>
    [Id(6)] public double UpdateCallMs { get; init; }

    /// <summary>The slowest silo's combining of its workers' gradients into one block.</summary>
    [Id(7)] public double AggregationMs { get; init; }

    /// <summary>Of the transport: the slowest silo's weight fetch plus the slowest slice's gradient fetch.</summary>
    [Id(8)] public double DataPlaneMs { get; init; }
}
