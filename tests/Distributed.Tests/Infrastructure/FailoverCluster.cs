using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Worker.Hosting;
using Orleans.Configuration;
using Orleans.TestingHost;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>
/// A 3-silo cluster of its own for tests that kill silos (that would disturb the shared fixture),
/// which declares a dead silo within seconds rather than the production defaults' tens of seconds.
/// </summary>
internal static class FailoverCluster
{
    public static async Task<InProcessTestCluster> StartAsync(string? checkpoints = null)
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            // A block that never comes (its silo was killed) is given up after 3 s rather than 10.
            silo.AddDistTrain(TestPaths.DataRoot, checkpoints, dataPlane: o => o.IoTimeout = TimeSpan.FromSeconds(3));
            silo.Configure<ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(1);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
                o.TableRefreshTimeout = TimeSpan.FromSeconds(1);
            });
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        await cluster.WaitForLivenessToStabilizeAsync();
        return cluster;
    }

    /// <summary>Starts a job and returns once it has taken <paramref name="steps"/> steps.</summary>
    public static async Task<IJobGrain> StartJobAsync(IClusterClient client, string id, JobSpec spec, long steps, CancellationToken cancellationToken)
    {
        var job = client.GetGrain<IJobGrain>(id);
        Assert.True((await job.StartAsync(spec)).Accepted);
        await foreach (var progress in job.WatchAsync(cancellationToken))
        {
            if (progress.Step >= steps)
            {
                break;
            }
        }
        return job;
    }

    /// <summary>Crashes (no graceful shutdown) the silo with the given address.</summary>
    public static Task KillAsync(this InProcessTestCluster cluster, string? silo) =>
        cluster.KillSiloAsync(cluster.Silos.Single(s => s.SiloAddress.ToString() == silo));
}
