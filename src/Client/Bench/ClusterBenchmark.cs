using DistTrain.Client.Cluster;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Nn;

namespace DistTrain.Client.Bench;

/// <summary>One configuration trained over worker grains, with the per-step time breakdown.</summary>
internal sealed record ClusterBenchResult(
    string Model, int Batch, int Workers, int Silos, double SamplesPerSecond, double Gflops, int Epochs, double TestAccuracy, StepTimings? Timings);

/// <summary>
/// Trains full MNIST epochs over K workers as a job and reports the median epoch after the first
/// (which loads the data and warms the JIT), like the single-process benchmark.
/// </summary>
internal static class ClusterBenchmark
{
    public static async Task<ClusterBenchResult> RunAsync(IClusterClient client, NetworkSpec spec, int batch, int workers, int epochs, CancellationToken cancellation)
    {
        var job = new JobSpec
        {
            Network = spec.ToString(),
            Epochs = epochs + 1,
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
        var rates = status.Epochs.Skip(1).Select(e => e.SamplesPerSecond).Order().ToList();
        var median = rates[rates.Count / 2];
        var silos = (await client.GetGrain<IJobGrain>(jobId).GetWorkersAsync()).Select(w => w.Silo).Distinct().Count();
        return new ClusterBenchResult(spec.ToString(), batch, workers, silos, median, MlpBenchmark.FlopsPerSample(spec) * median / 1e9,
            epochs, status.Epochs[^1].TestAccuracy, status.Timings);
    }
}
