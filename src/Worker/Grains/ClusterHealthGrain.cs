using DistTrain.Contracts.Grains;
using DistTrain.Worker.Training;
using Orleans.Concurrency;

namespace DistTrain.Worker.Grains;

/// <summary>Answers a console's "can the cluster still recover?" from the silo it called (see
/// <see cref="IClusterHealthGrain"/>): today, whether a localhost cluster's membership primary is gone.</summary>
[StatelessWorker(1)]
public sealed class ClusterHealthGrain(MembershipPrimary primary) : Grain, IClusterHealthGrain
{
    public async Task<string?> ProblemAsync() => await primary.IsGoneAsync(TimeSpan.FromSeconds(2)) ? primary.Gone : null;
}
