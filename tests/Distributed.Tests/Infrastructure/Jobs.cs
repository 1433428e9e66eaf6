using DistTrain.Client.Cluster;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>Small specs and a run-to-the-end helper.</summary>
internal static class Jobs
{
    private static int _next;

    public static string NewId(string prefix) => $"{prefix}-{Interlocked.Increment(ref _next)}-{Guid.NewGuid().ToString("N")[..8]}";

    /// <summary>A spec small enough for 2 shared cores: 784-16-10 on the first 2,000 MNIST images.</summary>
    public static JobSpec Small(int workers, int maxSteps = 0) => new()
    {
        Network = "784-16-10",
        Activation = "relu",
        Loss = "cross-entropy",
        LearningRate = 0.1f,
        Momentum = 0.9f,
        Dataset = "mnist",
        Epochs = 1,
        GlobalBatchSize = 30,
        Workers = workers,
        Seed = 7,
        TrainLimit = 2000,
        TestLimit = 500,
        MaxSteps = maxSteps,
    };

    public static async Task<JobStatus> RunAsync(IClusterClient client, string jobId, JobSpec spec, List<JobProgress>? events = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await new JobRunner(client).RunAsync(jobId, spec, p => events?.Add(p), timeout.Token);
    }

    public static async Task<float[]> WeightsAsync(IClusterClient client, string jobId) =>
        (await client.GetGrain<IJobGrain>(jobId).GetWeightsAsync()).Weights.ToArray();
}
