namespace DistTrain.Client.Cluster;

/// <summary>
/// How long a watch may stay silent before the console asks the job directly, and how long that
/// question may take. A watch's events come through one gateway; when that gateway's silo dies, the
/// call waiting for the next event is only failed by Orleans' response timeout (30 s and more), while
/// the job runs on elsewhere. Asking the job (through a live gateway) tells a quiet job (evaluating,
/// recovering) from a watch that lost its way, which is then attached again.
/// </summary>
public sealed record WatchPatience(TimeSpan Silence, TimeSpan ProbeTimeout)
{
    public static WatchPatience Default { get; } = new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(5));
}

/// <summary>A watch that stopped delivering while its job went on (or stopped answering): attach again.</summary>
public sealed class WatchStalledException(string reason) : Exception(reason);
