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
    public async Task TryConnect_WaitsForAGatewayThatAcceptsButDoesNotAnswer_ThenGivesUp()
    {
        // A gateway that takes the connection and says nothing: a busy cluster, to the console. It
        // must be given the patience (6 connect timeouts), not declared down after the first.
        using var silent = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        silent.Start();
        var port = ((System.Net.IPEndPoint)silent.LocalEndpoint).Port;
        var held = new System.Collections.Concurrent.ConcurrentBag<System.Net.Sockets.Socket>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await silent.AcceptSocketAsync(stop.Token));
            }
        });
        var clock = Stopwatch.StartNew();

        var connection = await ClusterConnection.TryConnectAsync([$"localhost:{port}"], TimeSpan.FromSeconds(1));

        Assert.Null(connection);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(ClusterConnection.Patience - 1), TimeSpan.FromSeconds(4 * ClusterConnection.Patience));
        Assert.True(held.Count >= 3, $"{held.Count} connection(s): the probe and one handshake, not tried again");
        stop.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => accepting);
        foreach (var socket in held)
        {
            socket.Dispose();
        }
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
    public void NewJobIds_AreValid_AndDistinct_EvenWithinOneSecond()
    {
        var ids = Enumerable.Range(0, 100_000).Select(_ => JobRunner.NewJobId()).ToList();

        Assert.All(ids.Take(100), id => Assert.Null(JobIds.Check(id)));
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    [Fact]
    public async Task ATakenId_IsRefused_AndASubmitUnderItsOwnIdTakesAFreshOne()
    {
        await using var cluster = await EmbeddedCluster.StartAsync(TestPaths.DataRoot);
        var spec = Jobs.Small(workers: 1, maxSteps: 2);
        var taken = Jobs.NewId("taken");
        var runner = new JobRunner(cluster.Client);
        await runner.SubmitAsync(taken, spec);

        var again = await Assert.ThrowsAsync<JobSpecException>(() => runner.SubmitAsync(taken, spec)); // a named id is the user's: refused
        Assert.Equal("JobId", again.Field);
        Assert.Contains($"job {taken} already exists", again.Message);

        // The console's own ids: the first it makes collides (as another console's might), the next does not.
        var made = new Queue<string>([taken, Jobs.NewId("fresh")]);
        var (jobId, _) = await new JobRunner(cluster.Client, made.Dequeue).SubmitNewAsync(spec);
        Assert.StartsWith("fresh", jobId);
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
