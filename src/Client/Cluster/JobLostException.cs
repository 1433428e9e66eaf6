namespace DistTrain.Client.Cluster;

/// <summary>The silo running a job went away and the cluster had no checkpoint to resume it from.</summary>
public sealed class JobLostException(string jobId)
    : Exception($"Job {jobId} was lost with the silo that ran it: there was no checkpoint to resume it from (silos keep them only when started with --checkpoints DIR).")
{
    public string JobId { get; } = jobId;
}
