using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>A client reaches the console's surface and nothing else: the grains that train, and
/// Orleans' own grains, are called only from inside the cluster (the watch, an Orleans extension on
/// the job grain, still streams).</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientCallFilterTests(ClusterFixture fixture)
{
    private IClusterClient Client => fixture.Client;

    [Fact]
    public async Task AClient_CannotCall_ParameterServers_Workers_Groups_OrTheRegistrysWrites()
    {
        var refused = new Func<Task>[]
        {
            () => Client.GetGrain<IParameterServerGrain>("intruder/0").GetPublishedAsync(),
            () => Client.GetGrain<IParameterServerGrain>("intruder/0").RestoreAsync(new SliceSetup(), new ParameterCheckpoint()),
            () => Client.GetGrain<IWorkerGrain>("intruder/0").EvaluateAsync(new WeightsSnapshot()),
            () => Client.GetGrain<IWorkerGroupGrain>("intruder/0").StepAsync(new GroupStep()),
            () => Client.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).RegisterAsync(new JobSummary { JobId = "intruder" }),
            // Orleans' own grains: the management grain could deactivate every grain of the cluster.
            () => Client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true),
            () => Client.GetGrain<IManagementGrain>(0).ForceActivationCollection(TimeSpan.Zero),
            // An Orleans extension on the job grain other than the watch's: it would stop a running job.
            () => Client.GetGrain<IJobGrain>("intruder").AsReference<Orleans.Core.Internal.IGrainManagementExtension>().DeactivateOnIdle().AsTask(),
        };
        foreach (var call in refused)
        {
            var e = await Assert.ThrowsAsync<UnauthorizedAccessException>(call);
            Assert.Contains("a client may not call it", e.Message);
        }
    }

    [Fact]
    public async Task AClient_Can_SubmitAndFollowJobs_AndListThem()
    {
        var id = Jobs.NewId("allowed");
        var status = await Jobs.RunAsync(Client, id, Jobs.Small(workers: 2, maxSteps: 3));

        Assert.Equal(JobState.Completed, status.State);
        var replayed = new List<JobProgress>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await foreach (var progress in Client.GetGrain<IJobGrain>(id).WatchAsync(timeout.Token))
        {
            replayed.Add(progress);
        }
        Assert.NotEmpty(replayed);
        Assert.True((await Client.GetGrain<IJobGrain>(id).GetWeightsAsync()).Weights.Length > 0);
        Assert.Contains(await Client.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).ListAsync(), j => j.JobId == id);
    }
}
