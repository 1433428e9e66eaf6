using DistTrain.Contracts.Messages;
using Orleans.Concurrency;

namespace DistTrain.Contracts.Grains;

/// <summary>
/// One data-parallel worker (key: "{jobId}/{shard}"). Loads its own data; computes its slice of each
/// global minibatch. Called by the job only.
/// </summary>
[Alias("DistTrain.IWorkerGrain")]
public interface IWorkerGrain : IGrainWithStringKey
{
    [Alias("Initialize")]
    [ResponseTimeout("00:05:00")] // the first worker on a silo loads and decodes the dataset
    Task<WorkerInfo> InitializeAsync(WorkerSetup setup);

    [Alias("ComputeGradient")]
    [ResponseTimeout("00:01:00")] // a step takes milliseconds; a minute means the worker is gone
    Task<ShardGradient> ComputeGradientAsync(StepRequest request);

    [Alias("Evaluate")]
    [ResponseTimeout("00:05:00")]
    Task<Evaluation> EvaluateAsync(WeightsSnapshot weights);

    /// <summary>The job has ended: the worker deactivates, freeing its replica and buffers now rather
    /// than when idle collection gets to it. One-way; a worker whose silo died comes back as an empty
    /// activation only to deactivate.</summary>
    [Alias("Release")]
    [OneWay]
    Task ReleaseAsync();
}
