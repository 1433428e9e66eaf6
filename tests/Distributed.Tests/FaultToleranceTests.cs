using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;
using DistTrain.Worker.Hosting;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// A job survives the crash of a silo that hosts one of its workers: the lost worker is re-created
/// on a live silo, re-initialized and asked for the same step, so training ends with exactly the
/// parameters of an uninterrupted run. Its own cluster: killing a silo would disturb other tests.
/// </summary>
public sealed class FaultToleranceTests(ITestOutputHelper output) : IAsyncLifetime
{
    // Long enough (a few seconds) that the crash lands mid-job: a step of this small job takes ~1 ms.
    private const int Steps = 4000;

    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddDistTrain(TestPaths.DataRoot);
            // Declare a dead silo within seconds rather than the production defaults' tens of seconds.
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task Job_SurvivesTheCrashOfAWorkersSilo_WithTheSameResult()
    {
        var spec = Jobs.Small(workers: 3) with { Epochs = 60, MaxSteps = Steps };
        var id = Jobs.NewId("crash");
        var job = _cluster.Client.GetGrain<IJobGrain>(id);
        Assert.True((await job.StartAsync(spec)).Accepted);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await foreach (var progress in job.WatchAsync(timeout.Token))
        {
            if (progress.Step >= 10)
            {
                break;
            }
        }

        // Crash (no graceful shutdown) a silo that runs a worker but not the job itself.
        var status = await job.GetStatusAsync();
        var workers = await job.GetWorkersAsync();
        var victim = _cluster.Silos.First(s => s.SiloAddress.ToString() != status.Silo
            && workers.Any(w => w.Silo == s.SiloAddress.ToString()));
        output.WriteLine($"killing {victim.SiloAddress} at step {status.Step}; job on {status.Silo}");
        await _cluster.KillSiloAsync(victim);

        var final = await DistTrain.Client.Cluster.JobRunner.FollowAsync(job, null, timeout.Token);
        output.WriteLine($"ended {final.State} after {final.Step} steps, {final.WorkerRecoveries} recoveries, error: {final.Error}");
        Assert.Equal(JobState.Completed, final.State);
        Assert.Equal(Steps, final.Step);
        Assert.True(final.WorkerRecoveries >= 1, "the crash went unnoticed: no worker was recovered");

        // Idempotent steps and re-initialized workers: bit for bit the uninterrupted result.
        var weights = (await _cluster.Client.GetGrain<IParameterServerGrain>(id).GetWeightsAsync()).Weights.ToArray();
        Assert.Equal(SingleProcessReference.Train(spec, Steps, threads: 3), weights);
    }

    /// <summary>Without a checkpoint folder, losing the job's own silo loses the job: following it
    /// ends with an error that says so, rather than waiting forever on an empty job.</summary>
    [Fact]
    public async Task Job_LostWithItsOwnSilo_WithoutCheckpoints_IsReportedLost()
    {
        var spec = Jobs.Small(workers: 2) with { Epochs = 60, MaxSteps = Steps };
        var id = Jobs.NewId("lost");
        var job = _cluster.Client.GetGrain<IJobGrain>(id);
        Assert.True((await job.StartAsync(spec)).Accepted);

        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await foreach (var progress in job.WatchAsync(timeout.Token))
        {
            if (progress.Step >= 10)
            {
                break;
            }
        }
        var status = await job.GetStatusAsync();
        await _cluster.KillSiloAsync(_cluster.Silos.Single(s => s.SiloAddress.ToString() == status.Silo));

        var error = await Assert.ThrowsAsync<DistTrain.Client.Cluster.JobLostException>(
            () => DistTrain.Client.Cluster.JobRunner.FollowAsync(job, null, timeout.Token));
        Assert.Contains(id, error.Message);
    }
}
