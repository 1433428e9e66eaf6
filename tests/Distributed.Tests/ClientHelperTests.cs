using System.Diagnostics;
using DistTrain.Client.Cluster;
using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>The helpers <c>train</c> builds on: connect-or-null, and the embedded one-silo fallback.</summary>
public sealed class ClientHelperTests
{
    [Theory]
    [InlineData(true, "train")]
    [InlineData(true, "train", "--workers", "3")]
    [InlineData(false, "train", "--local")]
    [InlineData(false, "train", "--detach")]
    [InlineData(true, "bench", "--workers", "2")]
    [InlineData(true, "bench", "--workers=2")]
    [InlineData(false, "bench")]
    [InlineData(false, "watch", "job-1")]
    [InlineData(false)]
    public void ThreadPoolSpin_IsTurnedUpOnlyForCommandsThatMayHostASilo(bool expected, params string[] args) =>
        Assert.Equal(expected, ThreadPoolSpin.MayHostSilo(args));

    [Fact]
    public async Task TryConnect_ReturnsNullQuickly_WhenNoClusterListens()
    {
        var clock = Stopwatch.StartNew();

        var connection = await ClusterConnection.TryConnectAsync(["localhost:31799"], TimeSpan.FromSeconds(10));

        Assert.Null(connection);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task EmbeddedCluster_RunsAJob_ThroughJobRunner()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(TestPaths.DataRoot);
        var events = new List<JobProgress>();

        var status = await new JobRunner(cluster.Client).RunAsync(JobRunner.NewJobId(), Jobs.Small(workers: 2, maxSteps: 5), events.Add);

        Assert.Equal(JobState.Completed, status.State);
        Assert.Equal(5, status.Step);
        Assert.Equal(ProgressKind.Finished, events[^1].Kind);
    }

    [Fact]
    public async Task JobRunner_RejectedSpec_ThrowsNamingTheField()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(TestPaths.DataRoot);

        var error = await Assert.ThrowsAsync<JobSpecException>(() =>
            new JobRunner(cluster.Client).RunAsync("bad", Jobs.Small(workers: 2) with { GlobalBatchSize = -5 }));

        Assert.Equal("GlobalBatchSize", error.Field);
        Assert.Equal("GlobalBatchSize", error.ParamName);
    }
}
