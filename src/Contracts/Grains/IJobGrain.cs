using DistTrain.Contracts.Messages;

namespace DistTrain.Contracts.Grains;

/// <summary>
/// One training job (key: the job id). Validates the spec, creates the parameter-server slices and
/// the worker groups, drives the epochs and keeps the status. Calls go one way: job → slices and
/// job → groups → workers; nothing calls back into the job, so nothing can deadlock on it.
/// </summary>
[Alias("DistTrain.IJobGrain")]
[ClientCallable] // the console's surface: submit, status, watch, cancel, final weights
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Validates <paramref name="spec"/> and starts training in the background.</summary>
    [Alias("Start")]
    Task<SubmitResult> StartAsync(JobSpec spec);

    [Alias("GetStatus")]
    Task<JobStatus> GetStatusAsync();

    /// <summary>Stops after the step in flight; the status becomes Cancelled.</summary>
    [Alias("Cancel")]
    Task<JobStatus> CancelAsync();

    /// <summary>Progress events until the job finishes: every finished epoch first, then the current state, then
    /// Step events (at most 20 a second, and the last step of every epoch), Epoch events and one Finished event.</summary>
    [Alias("Watch")]
    IAsyncEnumerable<JobProgress> WatchAsync(CancellationToken cancellationToken = default);

    /// <summary>A copy of the job's current parameter vector, gathered from its parameter-server slices.</summary>
    [Alias("GetWeights")]
    Task<WeightsSnapshot> GetWeightsAsync();

    /// <summary>The training loss by step so far (bounded: a long job keeps every k-th step), for the dashboard's curve.</summary>
    [Alias("GetLossCurve")]
    Task<LossCurve> GetLossCurveAsync();

    /// <summary>Where each worker runs: one entry per shard.</summary>
    [Alias("GetWorkers")]
    Task<IReadOnlyList<WorkerInfo>> GetWorkersAsync();
}
