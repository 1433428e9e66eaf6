using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;

namespace DistTrain.Client.Cluster;

/// <summary>Submits a job, streams its progress to a callback and returns its final status.</summary>
/// <param name="newJobId">Makes the ids of jobs the user did not name (by default <see cref="NewJobId"/>).</param>
public sealed class JobRunner(IClusterClient client, Func<string>? newJobId = null)
{
    /// <summary>A readable id that no other console picks: its time, then 64 random bits. (32 were too
    /// few: 100,000 ids made in one second held two pairs, as the birthday bound says; with 64 the odds
    /// of any pair among them are ~3·10⁻¹⁰, and a collision is still retried by <see cref="SubmitNewAsync"/>.)</summary>
    public static string NewJobId() => $"job-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Guid.NewGuid().ToString("N")[..16]}";

    private const int NewIdAttempts = 3;

    /// <summary>Submits under an id of its own making. An id the cluster already holds (another
    /// console's, against those odds) is replaced by a fresh one, so such a submit never fails.</summary>
    public async Task<(string JobId, IJobGrain Job)> SubmitNewAsync(JobSpec spec)
    {
        for (var attempt = 1; ; attempt++)
        {
            var jobId = (newJobId ?? NewJobId)();
            var job = client.GetGrain<IJobGrain>(jobId);
            var result = await job.StartAsync(spec);
            if (result.Accepted)
            {
                return (jobId, job);
            }
            if (result.Field != "JobId" || attempt == NewIdAttempts)
            {
                throw new JobSpecException(result.Field ?? "Spec", result.Error ?? "rejected");
            }
        }
    }

    /// <summary>Submits; throws <see cref="JobSpecException"/> naming the field if the cluster rejects the spec.</summary>
    public async Task<IJobGrain> SubmitAsync(string jobId, JobSpec spec)
    {
        var job = client.GetGrain<IJobGrain>(jobId);
        var result = await job.StartAsync(spec);
        if (!result.Accepted)
        {
            throw new JobSpecException(result.Field ?? "Spec", result.Error ?? "rejected");
        }

        return job;
    }

    /// <summary>
    /// Submits and follows the job to its end. Cancelling <paramref name="cancellationToken"/>
    /// cancels the job on the cluster too.
    /// </summary>
    public async Task<JobStatus> RunAsync(string jobId, JobSpec spec, Action<JobProgress>? onProgress = null, CancellationToken cancellationToken = default)
    {
        var job = await SubmitAsync(jobId, spec);
        try
        {
            return await FollowAsync(job, onProgress, cancellationToken, health: new ClusterHealth(client));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Cancellation takes effect after the step in flight: wait (briefly) for the final status.
            await job.CancelAsync();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await FollowAsync(job, onProgress, grace.Token, health: new ClusterHealth(client));
        }
    }

    /// <summary>
    /// Streams the progress of an existing job until it finishes; returns its final status. When the
    /// silo running the job goes away, it calls again until membership has noticed: the call activates
    /// the job on a live silo, which resumes it from its checkpoint (if the cluster keeps them). A watch
    /// that falls silent while the job moves on (its gateway died) is attached again (see
    /// <see cref="WatchPatience"/>). Either way the new watch replays the finished epochs first; each
    /// epoch reaches <paramref name="onProgress"/> once.
    /// </summary>
    /// <param name="health">Asks the cluster, while the job does not answer, whether it can recover at all
    /// (<see cref="ClusterHealth"/>); without it the console waits out its whole patience.</param>
    public static async Task<JobStatus> FollowAsync(IJobGrain job, Action<JobProgress>? onProgress, CancellationToken cancellationToken = default,
        WatchPatience? patience = null, ClusterHealth? health = null)
    {
        patience ??= WatchPatience.Default;
        var lostSince = (DateTime?)null;
        var shownEpochs = 0;
        var lastStep = -1L;
        void Deliver(JobProgress progress)
        {
            lostSince = null; // reached it: patience starts afresh at the next loss
            lastStep = progress.Step;
            if (progress.Kind == ProgressKind.Epoch)
            {
                if (progress.Epoch <= shownEpochs)
                {
                    return; // replayed by a watch attached again
                }
                shownEpochs = progress.Epoch;
            }
            onProgress?.Invoke(progress);
        }

        while (true)
        {
            try
            {
                // A job that existed but answers as a blank one was re-created by this very call on
                // a live silo, with nothing to resume from: it will never make progress.
                var status = await StatusAsync(job, cancellationToken, health);
                if (status.State == JobState.Pending && status.Spec is null)
                {
                    throw new JobLostException(job.GetPrimaryKeyString());
                }
                await WatchOnceAsync(job, Deliver, () => lastStep, patience, cancellationToken);
                return await job.GetStatusAsync();
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException(cancellationToken); // the caller cancels the job on the cluster
            }
            catch (Exception e) when ((IsSiloLoss(e) || e is WatchStalledException) && DateTime.UtcNow - (lostSince ??= DateTime.UtcNow) < SiloLossPatience)
            {
                if (health is not null)
                {
                    await health.ThrowIfBrokenAsync(job, lostSince.Value, cancellationToken);
                }
                await Task.Delay(e is WatchStalledException ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>One watch of the job, until its Finished event or its end; throws
    /// <see cref="WatchStalledException"/> when it falls silent while the job does not.</summary>
    private static async Task WatchOnceAsync(IJobGrain job, Action<JobProgress> deliver, Func<long> lastStep, WatchPatience patience, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var watch = job.WatchAsync(stop.Token).GetAsyncEnumerator(stop.Token);
        Task<bool>? pending = null;
        try
        {
            while (true)
            {
                pending = watch.MoveNextAsync().AsTask();
                bool more;
                while (true)
                {
                    try
                    {
                        more = await pending.WaitAsync(patience.Silence, cancellationToken);
                        break;
                    }
                    catch (TimeoutException) when (!pending.IsCompleted)
                    {
                        if (await StallOfAsync(job, lastStep(), patience, cancellationToken) is { } stall)
                        {
                            throw new WatchStalledException(stall);
                        }
                    }
                }
                pending = null;
                if (!more)
                {
                    return;
                }
                deliver(watch.Current);
                if (watch.Current.Kind == ProgressKind.Finished)
                {
                    return;
                }
            }
        }
        finally
        {
            stop.Cancel();
            if (pending is null)
            {
                await watch.DisposeAsync();
            }
            else
            {
                // Abandoned while a call for the next event hangs on a dead gateway: disposing now
                // would wait for it too. Its failure, when Orleans times it out, is of no interest.
                _ = pending.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Why a watch silent for <see cref="WatchPatience.Silence"/> is lost, or null when the job is just quiet.</summary>
    private static async Task<string?> StallOfAsync(IJobGrain job, long lastStep, WatchPatience patience, CancellationToken cancellationToken)
    {
        JobStatus status;
        try
        {
            status = await job.GetStatusAsync().WaitAsync(patience.ProbeTimeout, cancellationToken);
        }
        catch (Exception e) when (e is TimeoutException || IsSiloLoss(e))
        {
            return $"the job did not answer within {patience.ProbeTimeout.TotalSeconds:0.#} s";
        }
        if (status.State.IsFinished())
        {
            return $"the job ended ({status.State}) and its watch did not say so";
        }
        return status.Step > lastStep ? $"the job is at step {status.Step} and its watch stopped at {lastStep}" : null;
    }

    /// <summary>What a call to a job whose silo is going away fails with: Orleans' messaging errors, a
    /// timeout, or (the silo stopped gracefully) an enumeration the new activation does not know.</summary>
    public static bool IsSiloLoss(Exception e) => e is OrleansException or TimeoutException or EnumerationAbortedException;

    /// <summary>
    /// The job's status, calling again while the silo that ran it is being declared dead: once it is,
    /// the call activates the job on a live silo (which resumes it from its checkpoint, if any).
    /// </summary>
    /// <param name="health">When given, a cluster that cannot recover is said so within seconds (<see cref="ClusterHealth"/>).</param>
    public static Task<JobStatus> StatusAsync(IJobGrain job, CancellationToken cancellationToken = default, ClusterHealth? health = null) =>
        ThroughSiloLossAsync(job.GetStatusAsync, cancellationToken, health, job);

    /// <summary>
    /// A grain call, made again every second while it fails because its grain's silo is going away,
    /// until membership declares the silo dead and the call reaches a new activation on a live one.
    /// </summary>
    public static async Task<T> ThroughSiloLossAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken = default,
        ClusterHealth? health = null, IJobGrain? job = null)
    {
        var start = DateTime.UtcNow;
        var deadline = start + SiloLossPatience;
        while (true)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsSiloLoss(e) && DateTime.UtcNow < deadline && !cancellationToken.IsCancellationRequested)
            {
                if (health is not null && job is not null)
                {
                    await health.ThrowIfBrokenAsync(job, start, cancellationToken);
                }
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
            }
        }
    }

    /// <summary>How long to keep calling a job whose silo went away (membership declares a dead silo
    /// within tens of seconds by default).</summary>
    private static readonly TimeSpan SiloLossPatience = TimeSpan.FromMinutes(2);
}
