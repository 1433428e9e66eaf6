using DistTrain.Worker.Hosting;
using Orleans.TestingHost;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>One in-process cluster of three silos, shared by every test of the collection.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const int SiloCount = 3;

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(SiloCount);
        builder.ConfigureSilo((_, silo) => silo.AddDistTrain(TestPaths.DataRoot));
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "Cluster";
}
