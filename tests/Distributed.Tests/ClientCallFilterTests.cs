using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>A client reaches the console's surface and nothing else: the grains that train are
/// called only from inside the cluster.</summary>
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
        Assert.True((await Client.GetGrain<IJobGrain>(id).GetWeightsAsync()).Weights.Length > 0);
        Assert.Contains(await Client.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).ListAsync(), j => j.JobId == id);
    }
}
