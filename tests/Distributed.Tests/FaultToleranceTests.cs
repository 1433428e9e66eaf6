using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;
using Orleans.TestingHost;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// A job survives the crash of a silo that hosts one of its worker groups and parameter-server
/// slices: the lost group is re-created on a live silo and asked for the same step, the slices roll
/// back to the last epoch's end, so training ends with exactly the parameters of an uninterrupted
/// run. Its own cluster: killing a silo would disturb other tests.
/// </summary>
public sealed class FaultToleranceTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Long enough (a few seconds) that the crash lands mid-job: a step of this small job takes ~1 ms.
    private const int Steps = 4000;

    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await FailoverCluster.StartAsync();

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Theory]
    [InlineData("fp32")]
    [InlineData("bf16")] // the groups' error feedback goes back with the epoch's state too
    public async Task Job_SurvivesTheCrashOfAWorkersSilo_WithTheSameResult(string wire)
    {
        var spec = Jobs.Small(workers: 3) with { Epochs = 60, MaxSteps = Steps, Wire = wire };
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        // bf16 has no single-process twin: its reference is the same job run uninterrupted first,
        // on the same three silos (so in the same three groups).
        float[]? uninterrupted = null;
        if (wire == "bf16")
        {
            var reference = Jobs.NewId("whole");
            await Jobs.RunAsync(_cluster.Client, reference, spec);
            uninterrupted = await Jobs.WeightsAsync(_cluster.Client, reference);
        }
        var id = Jobs.NewId("crash");
        var job = await FailoverCluster.StartJobAsync(_cluster.Client, id, spec, steps: 10, timeout.Token);

        // Crash (no graceful shutdown) a silo that runs a worker but not the job itself.
        var status = await job.GetStatusAsync();
        var workers = await job.GetWorkersAsync();
        var victim = _cluster.Silos.First(s => s.SiloAddress.ToString() != status.Silo
            && workers.Any(w => w.Silo == s.SiloAddress.ToString()));
        output.WriteLine($"killing {victim.SiloAddress} at step {status.Step}; job on {status.Silo}");
        await _cluster.KillSiloAsync(victim);

        var final = await DistTrain.Client.Cluster.JobRunner.FollowAsync(job, null, timeout.Token);
        output.WriteLine($"ended {final.State} after {final.Step} steps, {final.WorkerRecoveries} recoveries, {final.Rollbacks} rollbacks, error: {final.Error}");
        Assert.Equal(JobState.Completed, final.State);
        Assert.Equal(Steps, final.Step);
        // The silo also held a parameter-server slice (slice s sits beside group s): every slice
        // went back to the last epoch's end, the lost group was set up again on a live silo, and
        // the epoch was done again.
        Assert.True(final.Rollbacks >= 1, "the crash went unnoticed: nothing was rolled back");

        // Idempotent steps and re-initialized workers: bit for bit the uninterrupted result.
        var weights = await Jobs.WeightsAsync(_cluster.Client, id);
        Assert.Equal(uninterrupted ?? SingleProcessReference.Train(spec, Steps, threads: 3, groups: final.Groups), weights);
    }

    /// <summary>Without a checkpoint folder, losing the job's own silo loses the job: following it
    /// ends with an error that says so, rather than waiting forever on an empty job.</summary>
    [Fact]
    public async Task Job_LostWithItsOwnSilo_WithoutCheckpoints_IsReportedLost()
    {
        var spec = Jobs.Small(workers: 2) with { Epochs = 60, MaxSteps = Steps };
        var id = Jobs.NewId("lost");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var job = await FailoverCluster.StartJobAsync(_cluster.Client, id, spec, steps: 10, timeout.Token);
        await _cluster.KillAsync((await job.GetStatusAsync()).Silo);

        var error = await Assert.ThrowsAsync<DistTrain.Client.Cluster.JobLostException>(
            () => DistTrain.Client.Cluster.JobRunner.FollowAsync(job, null, timeout.Token));
        Assert.Contains(id, error.Message);
    }
}
