using DistTrain.Client.Cluster;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Nn;

namespace DistTrain.Client.Bench;

/// <summary>One configuration trained over worker grains, with the per-step time breakdown and the
/// throughput relative to single-process epochs timed alternately with these.</summary>
internal sealed record ClusterBenchResult(
    string Model, int Batch, int Workers, int Silos, double SamplesPerSecond, double Gflops, int Epochs,
    double VsSingleProcess, StepTimings? Timings);

/// <summary>One epoch trained over worker grains, as one job.</summary>
internal sealed record ClusterEpoch(double SamplesPerSecond, int Silos, StepTimings? Timings);

/// <summary>
/// Times full MNIST epochs over K workers. Each timed epoch is a job of its own, so that the caller
/// can alternate it with a single-process epoch; the silo keeps the dataset and the JIT warm between
/// jobs, a job's epoch clock starts after its workers are set up, and its workers are released when
/// it ends. (Only the first of its ~235 wide or ~940 seed steps builds its graph.)
/// </summary>
internal static class ClusterBenchmark
{
    public static async Task<ClusterEpoch> RunEpochAsync(IClusterClient client, NetworkSpec spec, int batch, int workers, CancellationToken cancellation)
    {
        var job = new JobSpec
        {
            Network = spec.ToString(),
            Epochs = 1,
            GlobalBatchSize = batch,
            Workers = workers,
            Seed = 1,
            TestLimit = 2000, // evaluation is not timed; keep it short
        };
        var jobId = JobRunner.NewJobId() + "-bench";
        var status = await new JobRunner(client).RunAsync(jobId, job, null, cancellation);
        if (status.State != JobState.Completed)
        {
            throw new InvalidOperationException($"Benchmark job {jobId} ended {status.State}: {status.Error}");
        }
        var silos = (await client.GetGrain<IJobGrain>(jobId).GetWorkersAsync()).Select(w => w.Silo).Distinct().Count();
        return new ClusterEpoch(status.Epochs[^1].SamplesPerSecond, silos, status.Timings);
    }

    /// <summary>The median epoch (and its step breakdown); the ratio to single-process training is
    /// the median of the ratios of epochs timed one after the other.</summary>
    public static ClusterBenchResult Summarize(NetworkSpec spec, int batch, int workers, IReadOnlyList<ClusterEpoch> epochs, IReadOnlyList<double> localSamplesPerSecond)
    {
        var median = epochs.OrderBy(e => e.SamplesPerSecond).ElementAt(epochs.Count / 2);
        var ratio = MlpBenchmark.Median(epochs.Select((e, i) => e.SamplesPerSecond / localSamplesPerSecond[i]));
        return new ClusterBenchResult(spec.ToString(), batch, workers, epochs.Max(e => e.Silos), median.SamplesPerSecond,
            MlpBenchmark.FlopsPerSample(spec) * median.SamplesPerSecond / 1e9, epochs.Count, ratio, median.Timings);
    }
}
