namespace DistTrain.Client.Cluster;

/// <summary>A job stopped answering, and a live silo says why the cluster cannot recover it (see
/// <see cref="DistTrain.Contracts.Grains.IClusterHealthGrain"/>): waiting longer would change nothing.</summary>
public sealed class ClusterBrokenException(string jobId, string problem)
    : Exception($"job {jobId} does not answer, and {problem}")
{
    public string JobId { get; } = jobId;
}
