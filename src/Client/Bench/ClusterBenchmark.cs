using DistTrain.Client.Cluster;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Nn;

namespace DistTrain.Client.Bench;

/// <summary>One configuration trained over worker grains, with the per-step time breakdown and the
/// throughput relative to single-process epochs timed alternately with these.</summary>
internal sealed record ClusterBenchResult(
    string Model, int Batch, int Workers, int Silos, double SamplesPerSecond, double Gflops, int Epochs,
    double VsSingleProcess, StepTimings? Timings, IReadOnlyList<SiloTraffic> Traffic, double? BandwidthBoundMs)
{
    /// <summary>Transport time per step over the bandwidth bound 2(S−1)/S·M/B (with --link-gbit).</summary>
    public double? TransportVsBound => BandwidthBoundMs is > 0 && Timings is { } t ? t.TransportMs / BandwidthBoundMs : null;
}

/// <summary>One epoch trained over worker grains, as one job.</summary>
internal sealed record ClusterEpoch(double SamplesPerSecond, int Silos, StepTimings? Timings, IReadOnlyList<SiloTraffic> Traffic);

/// <summary>
/// Times full MNIST epochs over K workers. Each timed epoch is a job of its own, so that the caller
/// can alternate it with a single-process epoch; the silo keeps the dataset and the JIT warm between
/// jobs, a job's epoch clock starts after its workers are set up, and its workers are released when
/// it ends. (Only the first of its ~235 wide or ~940 seed steps builds its graph.)
/// </summary>
internal static class ClusterBenchmark
{
    public static async Task<ClusterEpoch> RunEpochAsync(IClusterClient client, NetworkSpec spec, int batch, int workers, int syncEvery, string wire,
        CancellationToken cancellation)
    {
        var job = new JobSpec
        {
            Network = spec.ToString(),
            Epochs = 1,
            GlobalBatchSize = batch,
            Workers = workers,
            SyncEvery = syncEvery,
            Wire = wire,
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
        return new ClusterEpoch(status.Epochs[^1].SamplesPerSecond, silos, status.Timings, status.Traffic);
    }

    /// <summary>The median epoch (and its step breakdown); the ratio to single-process training is
    /// the median of the ratios of epochs timed one after the other.</summary>
    /// <param name="linkGbit">The links' bandwidth, for the bound 2(S−1)/S·M/B that a bandwidth-optimal exchange needs per step.</param>
    public static ClusterBenchResult Summarize(NetworkSpec spec, int batch, int workers, IReadOnlyList<ClusterEpoch> epochs, IReadOnlyList<double> localSamplesPerSecond,
        double? linkGbit)
    {
        var median = epochs.OrderBy(e => e.SamplesPerSecond).ElementAt(epochs.Count / 2);
        var ratio = MlpBenchmark.Median(epochs.Select((e, i) => e.SamplesPerSecond / localSamplesPerSecond[i]));
        var silos = epochs.Max(e => e.Silos);
        double? bound = linkGbit is > 0 && silos > 1
            ? 2.0 * (silos - 1) / silos * spec.ParameterCount * sizeof(float) * 8 / (linkGbit.Value * 1e9) * 1000
            : null;
        return new ClusterBenchResult(spec.ToString(), batch, workers, silos, median.SamplesPerSecond,
            MlpBenchmark.FlopsPerSample(spec) * median.SamplesPerSecond / 1e9, epochs.Count, ratio, median.Timings, median.Traffic, bound);
    }
}
