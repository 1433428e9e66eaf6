using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;
using Orleans.TestingHost;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// A job survives the crash of its own silo, which also holds its parameter server: the next call
/// to the job activates it on a live silo, which resumes it from the checkpoint written at the end
/// of its last finished epoch, and training ends with exactly the parameters of an uninterrupted
/// run (momentum included). Its own cluster, as for <see cref="FaultToleranceTests"/>.
/// </summary>
public sealed class JobCheckpointTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"disttrain-checkpoints-{Guid.NewGuid():N}");
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await FailoverCluster.StartAsync(_checkpoints);

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        if (Directory.Exists(_checkpoints))
        {
            Directory.Delete(_checkpoints, recursive: true);
        }
    }

    [Fact]
    public async Task Job_SurvivesTheCrashOfItsOwnSilo_ResumingFromItsCheckpoint()
    {
        // 67 steps an epoch; 40 epochs take a few seconds, so the crash lands mid-job.
        var spec = Jobs.Small(workers: 2) with { Epochs = 40 };
        var id = Jobs.NewId("resume");
        var job = _cluster.Client.GetGrain<IJobGrain>(id);
        Assert.True((await job.StartAsync(spec)).Accepted);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // The console's way of following a job, started before the crash and kept through it.
        var epochs = 0;
        var following = DistTrain.Client.Cluster.JobRunner.FollowAsync(job, p =>
        {
            if (p.Kind == ProgressKind.Epoch)
            {
                Interlocked.Exchange(ref epochs, p.Epoch);
            }
        }, timeout.Token);
        while (Volatile.Read(ref epochs) < 2 && !following.IsCompleted)
        {
            await Task.Delay(20, timeout.Token);
        }
        if (following.IsCompleted)
        {
            Assert.Fail($"the job ended before the crash: {(await following).State}"); // or throws what ended it
        }

        var before = await job.GetStatusAsync();
        Assert.Single(Directory.GetFiles(_checkpoints, id + "-*.checkpoint"));
        output.WriteLine($"killing the job's silo {before.Silo} at step {before.Step}, epoch {before.Epoch}");
        await _cluster.KillAsync(before.Silo);

        var final = await following;
        output.WriteLine($"ended {final.State} on {final.Silo} after {final.Step} steps, {final.Resumes} resume(s), error: {final.Error}");
        Assert.Equal(JobState.Completed, final.State);
        Assert.Equal(1, final.Resumes);
        Assert.Equal(spec.Epochs, final.Epochs.Count);
        Assert.Equal(Enumerable.Range(1, spec.Epochs), final.Epochs.Select(e => e.Epoch));

        var weights = await Jobs.WeightsAsync(_cluster.Client, id);
        Assert.Equal(SingleProcessReference.Train(spec, final.Step, threads: 2, groups: final.Groups), weights);

        // The finished job's silo dies too: its final weights come back from the checkpoint.
        await _cluster.KillAsync(final.Silo);
        var recovered = await DistTrain.Client.Cluster.JobRunner.ThroughSiloLossAsync(job.GetWeightsAsync, timeout.Token);
        Assert.Equal(weights, recovered.Weights.ToArray());
        Assert.Equal(JobState.Completed, (await DistTrain.Client.Cluster.JobRunner.StatusAsync(job, timeout.Token)).State);

        // Two of three silos died; wherever the registry was, `disttrain jobs` still lists the job.
        var listed = await _cluster.Client.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).ListAsync();
        Assert.Contains(listed, j => j.JobId == id);
    }

    /// <summary>The silos' checkpoint store, for its file names (no serializer: nothing is read or written through it).</summary>
    private DistTrain.Worker.Checkpoints.CheckpointStore Store() => new(
        Microsoft.Extensions.Options.Options.Create(new DistTrain.Worker.Checkpoints.CheckpointOptions { Directory = _checkpoints }),
        null!, Microsoft.Extensions.Logging.Abstractions.NullLogger<DistTrain.Worker.Checkpoints.CheckpointStore>.Instance);

    [Fact]
    public async Task AJobWhoseCheckpointIsCorrupt_Fails_WithTheReason_InsteadOfStartingAfresh()
    {
        var id = Jobs.NewId("corrupt");
        var store = Store();
        Directory.CreateDirectory(_checkpoints);
        await File.WriteAllBytesAsync(store.PathOf(id), [0xde, 0xad, 0xbe, 0xef]);
        var job = _cluster.Client.GetGrain<IJobGrain>(id);

        var status = await job.GetStatusAsync();

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("checkpoint", status.Error);
        Assert.Contains("cannot be read", status.Error);
        Assert.DoesNotContain("\n", status.Error);
        Assert.False((await job.StartAsync(Jobs.Small(workers: 2))).Accepted); // nothing overwrites it
        Assert.Equal(4, new FileInfo(store.PathOf(id)).Length);
    }

    [Fact]
    public async Task ACheckpointThatCannotBeWritten_ShowsInTheStatus_AndTheJobGoesOn()
    {
        // A folder where the checkpoint file should be: every write fails (permissions would not
        // stop a test run as root), and the job must say so in its status yet train to the end.
        var id = Jobs.NewId("unwritable");
        var store = Store();
        Directory.CreateDirectory(Path.Combine(store.PathOf(id), "in-the-way"));

        var status = await Jobs.RunAsync(_cluster.Client, id, Jobs.Small(workers: 2) with { Epochs = 2 });

        Assert.Equal(JobState.Completed, status.State);
        Assert.NotNull(status.CheckpointError);
        Assert.Contains("could not write its checkpoint", status.CheckpointError);
        Assert.DoesNotContain("\n", status.CheckpointError);
    }
}
