using DistTrain.Contracts.Grains;

namespace DistTrain.Client.Cluster;

/// <summary>
/// While a console's calls to its job fail, asks a live silo (every few seconds, after a few seconds
/// of failures) whether the cluster can recover at all. A localhost cluster that lost its primary
/// cannot: its calls would fail for the whole 2-minute patience, and the console then says so at once.
/// </summary>
public sealed class ClusterHealth(IGrainFactory cluster)
{
    /// <summary>How long calls fail before the cluster is asked (a silo being declared dead takes longer than this).</summary>
    public static readonly TimeSpan AskAfter = TimeSpan.FromSeconds(4);

    private static readonly TimeSpan AskEvery = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan AnswerWithin = TimeSpan.FromSeconds(5);
    private DateTime _nextQuestion;

    /// <summary>Throws <see cref="ClusterBrokenException"/> when calls have failed since
    /// <paramref name="failingSince"/> long enough and a live silo says the cluster cannot recover.</summary>
    public async Task ThrowIfBrokenAsync(IJobGrain job, DateTime failingSince, CancellationToken cancellationToken)
    {
        var now = DateTime.UtcNow;
        if (now - failingSince < AskAfter || now < _nextQuestion)
        {
            return;
        }
        _nextQuestion = now + AskEvery;
        string? problem;
        try
        {
            problem = await cluster.GetGrain<IClusterHealthGrain>(0).ProblemAsync().WaitAsync(AnswerWithin, cancellationToken);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            return; // no silo answered the question either: the usual patience decides
        }
        if (problem is not null)
        {
            throw new ClusterBrokenException(job.GetPrimaryKeyString(), problem);
        }
    }
}
