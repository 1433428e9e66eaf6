using DistTrain.Contracts.Grains;
using DistTrain.Worker.Hosting;
using DistTrain.Worker.Training;
using Orleans.Concurrency;
using Orleans.GrainDirectory;

namespace DistTrain.Worker.Grains;

/// <summary>Answers a console's "can the cluster still recover?" from the silo it called (see
/// <see cref="IClusterHealthGrain"/>): today, whether a localhost cluster's membership primary is gone.
/// Its directory answers on the silo called (<see cref="SiloLocalDirectory"/>), so a dead silo owning
/// the grain id's directory range cannot stop the question.</summary>
[StatelessWorker(1)]
[GrainDirectory(SiloLocalDirectory.Name)]
public sealed class ClusterHealthGrain(MembershipPrimary primary) : Grain, IClusterHealthGrain
{
    public async Task<string?> ProblemAsync() => await primary.IsGoneAsync(TimeSpan.FromSeconds(2)) ? primary.Gone : null;
}
