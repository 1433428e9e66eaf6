using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

[Collection(ClusterCollection.Name)]
public sealed class JobLifecycleTests(ClusterFixture fixture, ITestOutputHelper output)
{
    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task Job_RunsToCompletion_AndLearnsMnist()
    {
        var spec = Jobs.Small(workers: 3) with { Network = "784-32-10", Epochs = 2, TrainLimit = 6000, TestLimit = 1000, GlobalBatchSize = 48 };
        var id = Jobs.NewId("learn");

        var status = await Jobs.RunAsync(Client, id, spec);
        output.WriteLine(string.Join("\n", status.Epochs));

        Assert.Equal(JobState.Completed, status.State);
        Assert.Null(status.Error);
        Assert.Equal(2, status.Epochs.Count);
        Assert.Equal(2 * 125, status.Step);
        Assert.True(status.FinalTestAccuracy >= 0.85, $"test accuracy {status.FinalTestAccuracy:P2} < 85%");
        Assert.True(status.Epochs[1].TrainLoss < status.Epochs[0].TrainLoss);
        Assert.True(status.SamplesPerSecond > 0);
        Assert.NotNull(status.StartedAt);
        Assert.True(status.EndedAt >= status.StartedAt);

        var registered = await Client.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).ListAsync();
        Assert.Contains(registered, j => j.JobId == id);

        // status shows each worker's compute time per step, where it runs, over every step.
        var workers = await Client.GetGrain<IJobGrain>(id).GetWorkersAsync();
        Assert.Equal([0, 1, 2], status.WorkerTimings.Select(w => w.Shard));
        Assert.All(status.WorkerTimings, w =>
        {
            Assert.Equal(status.Step, w.Steps);
            Assert.True(w.MeanMs > 0 && w.RecentMs > 0 && w.MaxMs >= w.MeanMs, $"worker {w.Shard}: {w}");
            Assert.Equal(workers.Single(x => x.Shard == w.Shard).Silo, w.Silo);
        });

        // The three workers each evaluate a third of the test set; together, exactly one evaluation.
        var weights = await Jobs.WeightsAsync(Client, id);
        var test = DistTrain.Core.Data.MnistLoader.Load(DistTrain.Core.Data.DatasetLocator.FindShippedMnist()).Test.Take(1000);
        var local = DistTrain.Core.Training.Evaluator.Accuracy(DistTrain.Core.Nn.NetworkSpec.Parse("784-32-10"), weights, test);
        Assert.Equal(local, status.FinalTestAccuracy);
    }

    [Fact]
    public async Task Workers_SpreadOverSilos_AndReportTheirSilo()
    {
        var id = Jobs.NewId("spread");
        await Jobs.RunAsync(Client, id, Jobs.Small(workers: ClusterFixture.SiloCount, maxSteps: 2));

        var workers = await Client.GetGrain<IJobGrain>(id).GetWorkersAsync();

        Assert.Equal(ClusterFixture.SiloCount, workers.Count);
        Assert.Equal(ClusterFixture.SiloCount, workers.Select(w => w.Silo).Distinct().Count());
        Assert.All(workers, w => Assert.False(string.IsNullOrEmpty(w.Silo)));
    }

    [Fact]
    public async Task DivergingJob_Fails_WithTheReason_AndTheClusterKeepsWorking()
    {
        var status = await Jobs.RunAsync(Client, Jobs.NewId("diverge"), Jobs.Small(workers: 2) with { LearningRate = 1e30f, Momentum = 0 });
        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("diverged", status.Error);

        var next = await Jobs.RunAsync(Client, Jobs.NewId("after-diverge"), Jobs.Small(workers: 2, maxSteps: 3));
        Assert.Equal(JobState.Completed, next.State);
    }

    [Fact]
    public async Task Cancel_StopsARunningJob()
    {
        var id = Jobs.NewId("cancel");
        var job = Client.GetGrain<IJobGrain>(id);
        var result = await job.StartAsync(Jobs.Small(workers: 2) with { Epochs = 50 });
        Assert.True(result.Accepted, result.Error);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await foreach (var progress in job.WatchAsync(timeout.Token))
        {
            if (progress.Step >= 3)
            {
                break;
            }
        }

        await job.CancelAsync();
        var status = await DistTrain.Client.Cluster.JobRunner.FollowAsync(job, null, timeout.Token);

        Assert.Equal(JobState.Cancelled, status.State);
        Assert.True(status.Step < status.TotalSteps);
        Assert.NotNull(status.EndedAt);
        var again = await job.StartAsync(Jobs.Small(workers: 2));
        Assert.False(again.Accepted);
    }

    [Fact]
    public async Task WatchAndStatus_ReportEveryEpoch()
    {
        var spec = Jobs.Small(workers: 2) with { Epochs = 3, TrainLimit = 300, TestLimit = 200 };
        var events = new List<JobProgress>();

        var status = await Jobs.RunAsync(Client, Jobs.NewId("watch"), spec, events);

        Assert.Equal(JobState.Completed, status.State);
        var epochs = events.Where(e => e.Kind == ProgressKind.Epoch).ToArray();
        Assert.Equal([1, 2, 3], epochs.Select(e => e.Epoch));
        Assert.All(epochs, e => Assert.InRange(e.TestAccuracy!.Value, 0, 1));
        Assert.Equal(3 * 10, events.Max(e => e.Step));
        Assert.Equal(ProgressKind.Finished, events[^1].Kind);
        Assert.Equal(3, status.Epochs.Count);
        Assert.Equal(epochs.Select(e => e.TestAccuracy!.Value), status.Epochs.Select(e => e.TestAccuracy));
    }

    [Theory]
    [InlineData("Network", "784-x-10")]
    [InlineData("Network", "784-8192-8192-10")] // 71 M parameters: over the message limit
    [InlineData("Activation", "swish")]
    [InlineData("Loss", "kl")]
    [InlineData("LearningRate", "-1")]
    [InlineData("Momentum", "1.5")]
    [InlineData("Epochs", "0")]
    [InlineData("GlobalBatchSize", "0")]
    [InlineData("Workers", "0")]
    [InlineData("Dataset", "../../etc")]
    [InlineData("Dataset", "no-such-folder")]
    [InlineData("SyncEvery", "0")]
    [InlineData("SyncEvery", "1001")]
    [InlineData("Wire", "fp8")]
    public async Task InvalidSpec_IsRejected_NamingTheField(string field, string value)
    {
        var spec = Jobs.Small(workers: 2);
        spec = field switch
        {
            "Network" => spec with { Network = value },
            "Activation" => spec with { Activation = value },
            "Loss" => spec with { Loss = value },
            "LearningRate" => spec with { LearningRate = float.Parse(value) },
            "Momentum" => spec with { Momentum = float.Parse(value) },
            "Epochs" => spec with { Epochs = int.Parse(value) },
            "GlobalBatchSize" => spec with { GlobalBatchSize = int.Parse(value) },
            "Workers" => spec with { Workers = int.Parse(value) },
            "Dataset" => spec with { Dataset = value },
            "SyncEvery" => spec with { SyncEvery = int.Parse(value) },
            "Wire" => spec with { Wire = value },
            _ => throw new ArgumentOutOfRangeException(nameof(field)),
        };
        var job = Client.GetGrain<IJobGrain>(Jobs.NewId("invalid"));

        var result = await job.StartAsync(spec);

        Assert.False(result.Accepted);
        Assert.Equal(field, result.Field);
        Assert.Contains(field, result.Error);
        Assert.Equal(JobState.Pending, (await job.GetStatusAsync()).State);
    }

    [Fact]
    public async Task ACorruptDataset_FailsTheJob_NamingTheFile_NotTheSilo()
    {
        // Four IDX files by name, one of them garbage: the load fails on a worker's silo, and what
        // reaches the job (on any silo) must be the file's error, not "Could not find a codec".
        var name = $"test-corrupt-{Guid.NewGuid():N}";
        var folder = Path.Combine(TestPaths.DataRoot, name);
        Directory.CreateDirectory(folder);
        try
        {
            TestPaths.WriteCorruptMnist(folder);

            var status = await Jobs.RunAsync(Client, Jobs.NewId("corrupt-data"), Jobs.Small(workers: 3) with { Dataset = name });

            Assert.Equal(JobState.Failed, status.State);
            Assert.Contains("train-labels-idx1-ubyte.gz", status.Error);
            Assert.Equal("Dataset", status.ErrorField);
            Assert.DoesNotContain("codec", status.Error, StringComparison.OrdinalIgnoreCase);
            Assert.Equal(ClusterFixture.SiloCount, fixture.Cluster.Silos.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task TrainLimitBeyondTheDataset_FailsTheJob_NotTheSilo()
    {
        var status = await Jobs.RunAsync(Client, Jobs.NewId("toolarge"), Jobs.Small(workers: 2) with { TrainLimit = 10_000_000 });

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("TrainLimit", status.Error);
        Assert.Equal("TrainLimit", status.ErrorField);
        Assert.Equal(ClusterFixture.SiloCount, fixture.Cluster.Silos.Count);
    }
}
