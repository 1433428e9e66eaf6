using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace DistTrain.Worker.Placement;

/// <summary>
/// Places the worker of shard k on silo k mod S (silos in a fixed order), so a job's workers spread
/// over the cluster instead of piling onto whichever silo the default placement prefers.
/// </summary>
[GenerateSerializer, Immutable, Alias("DistTrain.ShardSpreadPlacement")]
public sealed class ShardSpreadPlacement : PlacementStrategy
{
    public static ShardSpreadPlacement Instance { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class ShardSpreadPlacementAttribute() : PlacementAttribute(ShardSpreadPlacement.Instance);

/// <summary>Reads the shard from a worker key "{jobId}/{shard}".</summary>
internal sealed class ShardSpreadPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var silos = context.GetCompatibleSilos(target)
            .OrderBy(s => s.Endpoint.Address.ToString(), StringComparer.Ordinal)
            .ThenBy(s => s.Endpoint.Port)
            .ThenBy(s => s.Generation)
            .ToArray();
        var shard = WorkerKey.TryParse(target.GrainIdentity.Key.ToString(), out _, out var s) ? s : 0;
        return Task.FromResult(silos[shard % silos.Length]);
    }
}
