using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;
using DistTrain.Worker;
using DistTrain.Worker.Hosting;
using DistTrain.Worker.Training;
using Microsoft.Extensions.DependencyInjection;
using Orleans.TestingHost;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// A worker that is alive but stuck: found by the step deadline, asked again a bounded number of
/// times, and the job fails naming the worker and the step instead of hanging; one that was only
/// slow for a moment costs a retry and nothing else. Their own 2-silo cluster, with deadlines of
/// seconds rather than the default ten.
/// </summary>
public sealed class StuckWorkerTests(ITestOutputHelper output) : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddDistTrain(TestPaths.DataRoot, dataPlane: o => o.IoTimeout = TimeSpan.FromSeconds(3));
            silo.Services.Configure<StepDeadlineOptions>(o =>
            {
                o.Floor = TimeSpan.FromSeconds(2);
                o.Factor = 5; // the first steps' compile times (~0.4 s) would otherwise set it at 8 s
                o.Retries = 2;
                o.SetUp = TimeSpan.FromSeconds(5);
            });
            silo.AddIncomingGrainCallFilter<StallFilter>();
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        StallFilter.Current?.Released.Cancel();
        StallFilter.Current = null;
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task AWorkerSlowForAMoment_CostsARetry_AndTheResultIsUnchanged()
    {
        var spec = Jobs.Small(workers: 1, maxSteps: 100) with { Epochs = 2 }; // one group: steps one call each
        var id = Jobs.NewId("slow");
        // Longer than the 2 s deadline once (from step 60 on, the first steps' compile times are out
        // of the window the deadline is derived from); the step asked again queues behind it and is answered.
        var plan = StallFilter.Current = new StallFilter.Plan(WorkerKey.Format(id, 0), fromStep: 60, TimeSpan.FromSeconds(3), times: 1);

        var status = await Jobs.RunAsync(_cluster.Client, id, spec);
        output.WriteLine($"{status.State} after {status.Step} steps, {status.StuckRetries} stuck retries, error: {status.Error}");

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(1, plan.Stalled);
        Assert.True(status.StuckRetries >= 1, "the slow step went unnoticed");
        Assert.Equal(SingleProcessReference.Train(spec, 100), await Jobs.WeightsAsync(_cluster.Client, id));
    }

    [Fact]
    public async Task AStuckWorker_FailsTheJob_NamingTheWorkerAndTheStep_WithinBoundedTime()
    {
        var spec = Jobs.Small(workers: 2) with { Epochs = 20 }; // two groups: runs of steps over the data plane
        var id = Jobs.NewId("stuck");
        StallFilter.Current = new StallFilter.Plan(WorkerKey.Format(id, 1), fromStep: 30, TimeSpan.FromMinutes(5), times: int.MaxValue);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var status = await Jobs.RunAsync(_cluster.Client, id, spec);
        output.WriteLine($"{status.State} after {clock.Elapsed.TotalSeconds:F1} s at step {status.Step}, {status.StuckRetries} stuck retries: {status.Error}");

        Assert.Equal(JobState.Failed, status.State);
        Assert.Contains("worker 1", status.Error);
        // The step it first missed (from 30 on), and that it was asked again.
        Assert.Matches(@"^worker 1 \(on silo [^)]+\) did not answer step (\d{2,}) within [\d.]+ s; asked again [12] times?, ", status.Error);
        Assert.True(status.StuckRetries is >= 1 and <= 2, $"{status.StuckRetries} retries");
        Assert.DoesNotContain("\n", status.Error);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"took {clock.Elapsed}");
    }

    /// <summary>The fencing token on the parameter servers: once an activation of generation 6 has
    /// set a slice up, every request of generation 5 is refused and changes nothing.</summary>
    [Fact]
    public async Task AParameterServer_RefusesRequestsFromAnOlderJobActivation()
    {
        var setup = new SliceSetup { Spec = Jobs.Small(workers: 1), Slice = 0, Slices = 1 };
        var outcomes = await _cluster.Client.GetGrain<IFenceProbeGrain>("probe")
            .OlderActivationTriesAsync(WorkerKey.Format(Jobs.NewId("fence"), 0), setup, older: 5, newer: 6);

        Assert.Equal(5, outcomes.Length);
        Assert.All(outcomes[..4], o => Assert.Contains("serves job activation 6", o));
        Assert.All(outcomes[..4], o => Assert.Contains("from the older activation 5 was refused", o));
        Assert.Equal("unchanged", outcomes[4]);
    }
}
