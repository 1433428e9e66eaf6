using Orleans.GrainDirectory;

namespace DistTrain.Worker.Hosting;

/// <summary>
/// A grain directory that holds nothing and answers every lookup at once, on the silo that asks.
/// Stateless workers never register, yet Orleans still looks them up in their type's directory
/// before placing them locally; with the default (distributed) directory that lookup goes to the
/// silo owning the grain id's range, which may be the dead silo a console is asking about. Giving
/// <see cref="Grains.ClusterHealthGrain"/> this directory makes its placement purely local.
/// </summary>
public sealed class SiloLocalDirectory : IGrainDirectory
{
    /// <summary>The name grains give in <c>[GrainDirectory(SiloLocalDirectory.Name)]</c>.</summary>
    public const string Name = "silo-local";

    // A stateless worker's activation never registers; were another grain to, the entry is not kept,
    // and every lookup says "not placed", so each silo places such a grain on itself.
    public Task<GrainAddress?> Register(GrainAddress address) => Task.FromResult<GrainAddress?>(address);

    public Task Unregister(GrainAddress address) => Task.CompletedTask;

    public Task<GrainAddress?> Lookup(GrainId grainId) => Task.FromResult<GrainAddress?>(null);

    public Task UnregisterSilos(List<SiloAddress> siloAddresses) => Task.CompletedTask;
}
