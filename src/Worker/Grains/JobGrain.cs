using System.Diagnostics;
using System.Runtime.CompilerServices;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Training;
using DistTrain.Worker.Checkpoints;
using DistTrain.Worker.Data;
using DistTrain.Worker.DataPlane;
using DistTrain.Worker.Telemetry;
using DistTrain.Worker.Training;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace DistTrain.Worker.Grains;

/// <summary>
/// Drives one job: synchronous data-parallel SGD, one global minibatch per step, over the worker
/// groups and parameter-server slices of <see cref="JobCluster"/>. Keeps the status, the epochs,
/// the watchers and the checkpoints; resumes a job whose silo died from its checkpoint.
/// </summary>
/// <remarks>
/// Reentrant on purpose: the training loop runs as a background task on the grain's scheduler, and
/// <see cref="WatchAsync"/> calls park for up to half the response timeout waiting for the next
/// event; status and cancel must never queue behind either. All state is still touched by one thread
/// at a time (the grain scheduler), and no method awaits between reading and writing state.
/// </remarks>
[Reentrant]
public sealed class JobGrain(DatasetCache datasets, CheckpointStore checkpoints, DataPlaneService dataPlane, IHostApplicationLifetime silo,
    Microsoft.Extensions.Options.IOptions<StepDeadlineOptions> deadlines, MembershipPrimary primary, ILogger<JobGrain> logger)
    : Grain, IJobGrain, IEpochObserver
{
    private readonly List<ProgressQueue> _watchers = [];
    private readonly List<EpochSummary> _epochs = [];
    private readonly LossHistory _curve = new();
    private EpochLoop? _loop;
    private ParameterCheckpoint _lastCheckpoint = new();
    private static readonly long StepPublishInterval = Stopwatch.Frequency / 20;
    private long _lastStepPublished = long.MinValue / 2;
    private readonly CancellationTokenSource _cancel = new();
    // Tripped when this activation goes away (its silo stopping, or the keep-alive running out): the
    // loop stops without finishing the job, which resumes from its checkpoint at the next call.
    private readonly CancellationTokenSource _deactivating = new();
    private long _generation; // this activation's checkpoint fencing token
    private JobStatus _status = new();
    private JobProgress? _lastProgress;
    private IReadOnlyList<WorkerInfo> _workers = [];
    private Task? _run;

    private string JobId => this.GetPrimaryKeyString();

    /// <summary>
    /// A new job starts Pending. A job that has a checkpoint was running on a silo that is gone (this
    /// activation is the first call to it since): a finished one gets its status back, a running one
    /// resumes from the end of its last finished epoch, on this silo.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _status = new JobStatus { JobId = JobId, State = JobState.Pending, Silo = RuntimeIdentity };
        JobCheckpoint? checkpoint;
        try
        {
            checkpoint = await checkpoints.LoadAsync(JobId, cancellationToken);
        }
        catch (InvalidDataException e)
        {
            // Failed with the reason, and kept so: a new job under this id would overwrite the file.
            _status = _status with { State = JobState.Failed, Error = e.Message, EndedAt = DateTimeOffset.UtcNow };
            return;
        }
        if (checkpoint is null)
        {
            return;
        }
        // From here on an older activation still running elsewhere can no longer write over this one.
        _generation = checkpoints.ClaimGeneration(JobId);

        _epochs.AddRange(checkpoint.Status.Epochs);
        _status = checkpoint.Status with { Silo = RuntimeIdentity, Epochs = [] };
        if (_status.State.IsFinished() || checkpoint.Parameters is null || _status.Spec is null)
        {
            return;
        }

        _status = _status with { Resumes = _status.Resumes + 1 };
        TrainingMetrics.Recovered("resume");
        logger.LogWarning("Job {JobId}: resuming from its checkpoint after epoch {Epoch} (step {Step}) on {Silo}",
            JobId, _epochs.Count, checkpoint.Parameters.AppliedStep + 1, RuntimeIdentity);
        DelayDeactivation(TimeSpan.FromDays(1));
        _run = RunAsync(_status.Spec, checkpoint.Parameters);
        // The registry may have been lost with the same silo; registering again is harmless.
        GrainFactory.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key)
            .RegisterAsync(new JobSummary { JobId = JobId, SubmittedAt = _status.StartedAt ?? DateTimeOffset.UtcNow }).Ignore();
    }

    /// <summary>Stops this activation's loop (without finishing the job) before it goes away, so that
    /// it cannot run on beside the activation that resumes the job elsewhere.</summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _deactivating.Cancel();
        if (_run is { } run)
        {
            try
            {
                await run.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            }
            catch (Exception e) when (e is TimeoutException or OperationCanceledException)
            {
                logger.LogWarning("Job {JobId}: its loop did not stop within 10 s of deactivation", JobId);
            }
        }
    }

    public async Task<SubmitResult> StartAsync(JobSpec spec)
    {
        if (_run is not null || _status.State != JobState.Pending)
        {
            return SubmitResult.Reject("JobId", $"job {JobId} already exists ({_status.State})");
        }

        if (JobIds.Check(JobId) is { } badId)
        {
            return SubmitResult.Reject("JobId", $"JobId: {badId}.");
        }

        var (setup, field, error) = TrainingSetup.TryCreate(spec);
        if (setup is null)
        {
            return SubmitResult.Reject(field!, $"{field}: {error}.");
        }

        var (_, dataError) = datasets.Resolve(spec.Dataset);
        if (dataError is not null)
        {
            return SubmitResult.Reject(nameof(JobSpec.Dataset), $"Dataset: {dataError}.");
        }

        var now = DateTimeOffset.UtcNow;
        _status = _status with { State = JobState.Running, Spec = spec, StartedAt = now };
        _generation = checkpoints.ClaimGeneration(JobId);

        // The loop outlives this call; keep the activation (and its status) alive while it runs.
        DelayDeactivation(TimeSpan.FromDays(1));
        _run = RunAsync(spec);
        await GrainFactory.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key)
            .RegisterAsync(new JobSummary { JobId = JobId, SubmittedAt = now });
        return SubmitResult.Ok;
    }

    public Task<JobStatus> GetStatusAsync() => Task.FromResult(_status with { Epochs = _epochs.ToArray() });

    public Task<JobStatus> CancelAsync()
    {
        if (_status.State == JobState.Pending)
        {
            Finish(JobState.Cancelled, null);
        }
        else if (!_status.State.IsFinished())
        {
            _cancel.Cancel();
        }

        return GetStatusAsync();
    }

    public Task<IReadOnlyList<WorkerInfo>> GetWorkersAsync() => Task.FromResult(_workers);

    public Task<LossCurve> GetLossCurveAsync() => Task.FromResult(_curve.Snapshot());

    public async IAsyncEnumerable<JobProgress> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = new ProgressQueue(); // bounded: a watcher that stops reading cannot make the job buffer every step
        // A watcher that attaches late (or re-attaches) still sees every finished epoch first.
        foreach (var epoch in _epochs)
        {
            channel.Write(Progress(ProgressKind.Epoch) with
            {
                Epoch = epoch.Epoch,
                Loss = epoch.TrainLoss,
                TestAccuracy = epoch.TestAccuracy,
                SamplesPerSecond = epoch.SamplesPerSecond,
            });
        }
        if (_lastProgress is not { Kind: ProgressKind.Epoch } || _epochs.Count == 0)
        {
            channel.Write(_lastProgress ?? Progress(ProgressKind.Step));
        }
        if (_status.State.IsFinished())
        {
            channel.Complete();
        }
        else
        {
            _watchers.Add(channel);
        }

        try
        {
            await foreach (var progress in channel.ReadAllAsync(cancellationToken))
            {
                yield return progress;
            }
        }
        finally
        {
            _watchers.Remove(channel);
        }
    }

    public async Task<WeightsSnapshot> GetWeightsAsync()
    {
        var slices = _status.Groups > 0 ? _status.Groups : 1;
        return await JobCluster.WeightsAsync(GrainFactory, JobId, slices);
    }

    /// <summary>The training loop, from the start or from a checkpoint taken at the end of an epoch.</summary>
    private async Task RunAsync(JobSpec spec, ParameterCheckpoint? resume = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, _deactivating.Token);
        var cancellation = stop.Token;
        // Let StartAsync (or the activation) return first: the caller should not wait for dataset loading.
        await Task.Yield();
        // One group (and one parameter-server slice) per silo, fixed for the job's life: the
        // grouping decides the order of the gradient sum, so it must not change on a resume.
        var groups = _status.Groups > 0 ? _status.Groups : Math.Max(1, Math.Min(spec.Workers, await ActiveSilosAsync()));
        _status = _status with { Groups = groups };
        var cluster = new JobCluster(GrainFactory, dataPlane, JobId, spec, groups, _generation, deadlines.Value, logger)
        {
            OnStuckRetry = stuck =>
            {
                _status = _status with { StuckRetries = _status.StuckRetries + 1, LastRecovery = ErrorText.OneSentence($"asked again: {stuck.Message}") };
                TrainingMetrics.Recovered("stuck_worker");
            },
            OnGroupRecovery = (group, e) =>
            {
                logger.LogWarning("Job {JobId}: worker group {Group} lost ({Error}); setting it up again", JobId, group, e.Message);
                TrainingMetrics.Recovered("worker_group");
                _status = _status with { WorkerRecoveries = _status.WorkerRecoveries + 1, LastRecovery = ErrorText.OneSentence($"group {group} set up again: {e.Message}") };
            },
        };
        var stopping = false;
        TrainingMetrics.JobStarted();
        try
        {
            await cluster.SetUpAsync(resume, RuntimeIdentity);
            _workers = cluster.Workers;
            var sampleCount = _workers[0].TrainCount;
            var stepsPerEpoch = BatchPlan.StepsPerEpoch(sampleCount, spec.GlobalBatchSize);
            var totalSteps = (long)stepsPerEpoch * spec.Epochs;
            if (spec.MaxSteps > 0)
            {
                totalSteps = Math.Min(totalSteps, spec.MaxSteps);
            }

            _status = _status with { StepsPerEpoch = stepsPerEpoch, TotalSteps = totalSteps };
            _loop = new EpochLoop(cluster, spec, stepsPerEpoch, totalSteps, this);
            // The last epoch's end, kept in memory too: a lost parameter-server slice rolls back to it.
            _lastCheckpoint = resume ?? await cluster.CheckpointAsync();
            if (resume is null)
            {
                await SaveCheckpointAsync(_lastCheckpoint); // version 0: even a job lost in its first epoch resumes
            }
            logger.LogInformation("Job {JobId}: {Workers} workers in {Groups} groups on {Silos}, {Steps} steps", JobId, spec.Workers, groups,
                string.Join(", ", _workers.Select(w => w.Silo).Distinct()), totalSteps);

            while (true)
            {
                try
                {
                    await _loop.RunAsync(_epochs.Count, cancellation);
                    break;
                }
                catch (Exception e) when (e is ParameterSliceLostException or JobRollbackException && _status.Rollbacks < MaxRollbacks)
                {
                    if (await primary.IsGoneAsync(TimeSpan.FromSeconds(2)))
                    {
                        throw new MembershipPrimaryLostException(primary.Describe(e.Message), e);
                    }
                    // A slice lost with its silo: every slice goes back to the end of the last
                    // epoch and the epoch is done again, with the same batches: the same result.
                    _status = _status with { Rollbacks = _status.Rollbacks + 1, LastRecovery = ErrorText.OneSentence($"rolled back: {e.Message}") };
                    TrainingMetrics.Recovered("rollback");
                    logger.LogWarning("Job {JobId}: {Error}; rolling back to step {Step} (rollback {Count})",
                        JobId, e.Message, _lastCheckpoint.AppliedStep + 1, _status.Rollbacks);
                    while (true)
                    {
                        try
                        {
                            await RollBackAsync(cluster, cancellation);
                            break;
                        }
                        catch (WorkerStuckException again) when (cluster.MayRetry(again))
                        {
                            // A worker still stuck while set up again: tried again, within the job's retries.
                        }
                    }
                    _workers = cluster.Workers;
                    _curve.TruncateAfter(_lastCheckpoint.AppliedStep + 1);
                    var kept = EpochsIn(_lastCheckpoint, stepsPerEpoch);
                    if (_epochs.Count > kept)
                    {
                        _epochs.RemoveRange(kept, _epochs.Count - kept);
                    }
                }
            }

            Finish(JobState.Completed, null);
        }
        catch (OperationCanceledException) when (_deactivating.IsCancellationRequested && !_cancel.IsCancellationRequested)
        {
            stopping = true; // this activation is going away, not the job
        }
        catch (StaleActivationException e)
        {
            // A newer activation of this job has set the slices up: it runs the job, this one stops.
            logger.LogWarning("Job {JobId}: {Reason}; this activation stops", JobId, e.Message);
            stopping = true;
            _deactivating.Cancel();
            DeactivateOnIdle();
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Finish(JobState.Cancelled, null);
        }
        catch (Exception e) when ((silo.ApplicationStopping.IsCancellationRequested || _deactivating.IsCancellationRequested) && checkpoints.Enabled)
        {
            // This silo (or activation) is going away, not the job: its checkpoint stays as the last
            // epoch left it, and the next call to the job resumes it on another silo.
            logger.LogWarning(e, "Job {JobId}: its silo is stopping; it will resume from its checkpoint elsewhere", JobId);
            stopping = true;
        }
        catch (Exception e)
        {
            // A failed job is a status, never a crashed silo.
            logger.LogWarning(e, "Job {JobId} failed", JobId);
            var reason = e is AggregateException { InnerException: { } inner } ? inner : e;
            _status = _status with { ErrorField = (reason as JobSpecException)?.Field };
            Finish(JobState.Failed, reason is WorkerStuckException stuck ? cluster.StuckError(stuck) : reason.Message);
        }
        finally
        {
            if (!stopping)
            {
                // The final status, and for a completed job its final weights (for `train --out`,
                // should a slice's silo die before they are read); nothing is left to resume either way.
                ParameterCheckpoint? final = null;
                if (_status.State == JobState.Completed && checkpoints.Enabled)
                {
                    try
                    {
                        final = await cluster.CheckpointAsync();
                    }
                    catch (Exception e) when (e is not OperationCanceledException)
                    {
                        logger.LogWarning(e, "Job {JobId}: could not read its final weights for the checkpoint", JobId);
                    }
                }
                await SaveCheckpointAsync(final);
            }
            // The slices stay: they hold the final weights (`train --out` reads them).
            cluster.Release();
            TrainingMetrics.JobEnded();
        }
    }

    /// <summary>Every slice back to the last epoch's end, groups set up afresh; retried while the lost
    /// silo is still being declared dead (calls to it fail until then).</summary>
    private async Task RollBackAsync(JobCluster cluster, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, 2 * attempt)), cancellation);
            try
            {
                await cluster.RollBackAsync(_lastCheckpoint);
                return;
            }
            catch (Exception e) when ((JobCluster.IsLoss(e) || e is ParameterSliceLostException) && attempt < 8)
            {
                logger.LogWarning("Job {JobId}: rolling back failed ({Error}); trying again", JobId, e.Message);
            }
        }
    }

    /// <summary>Rollbacks one job may take before it fails instead (a silo lost again and again).</summary>
    private const int MaxRollbacks = 20;

    /// <summary>Epochs finished when <paramref name="checkpoint"/> was taken (checkpoints are taken at epoch ends).</summary>
    private static int EpochsIn(ParameterCheckpoint checkpoint, int stepsPerEpoch) => (int)((checkpoint.AppliedStep + 1) / stepsPerEpoch);

    /// <summary>Silos the membership table lists as active (this silo's own view may still lag behind it).</summary>
    private async Task<int> ActiveSilosAsync()
    {
        var local = ServiceProvider.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
        try
        {
            var table = await GrainFactory.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true);
            return Math.Max(1, Math.Max(local, table.Count));
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return Math.Max(1, local);
        }
    }

    void IEpochObserver.OnSteps(int epoch, long step, double loss, double samplesPerSecond, long version, bool endOfRun)
    {
        _status = _status with { Epoch = epoch, Step = step, Loss = loss, SamplesPerSecond = samplesPerSecond, WeightsVersion = version };
        // Watchers redraw at most ~10 times a second; a step of a small network takes ~0.1 ms, and
        // streaming every one of them would cost more than the step.
        var now = Stopwatch.GetTimestamp();
        if (endOfRun || now - _lastStepPublished >= StepPublishInterval)
        {
            _lastStepPublished = now;
            _status = _status with { Timings = _loop!.Timings.Snapshot(), Traffic = _loop.Traffic.PerStep(), WorkerTimings = _loop.WorkerTimings() };
            Publish(Progress(ProgressKind.Step));
        }
    }

    void IEpochObserver.OnStepLoss(long step, double loss) => _curve.Add(step, loss);

    async Task IEpochObserver.OnEpochAsync(EpochSummary summary, ParameterCheckpoint state)
    {
        _lastCheckpoint = state;
        _epochs.Add(summary);
        TrainingMetrics.EpochFinished();
        _status = _status with { Timings = _loop!.Timings.Snapshot(), Traffic = _loop.Traffic.PerStep(), WorkerTimings = _loop.WorkerTimings() };
        Publish(Progress(ProgressKind.Epoch) with
        {
            Loss = summary.TrainLoss,
            TestAccuracy = summary.TestAccuracy,
            SamplesPerSecond = summary.SamplesPerSecond,
        });
        logger.LogInformation("Job {JobId}: epoch {Epoch} loss {Loss:F4} accuracy {Accuracy:P2}", JobId, summary.Epoch, summary.TrainLoss, summary.TestAccuracy);
        await SaveCheckpointAsync(state);
    }

    /// <summary>
    /// The job's status and, while it runs, the parameter servers' state: written after every epoch
    /// (and once at the end) when the silo has a checkpoint folder, so that the job can resume on
    /// another silo if its own dies. A checkpoint that cannot be written costs the job nothing else.
    /// </summary>
    private async Task SaveCheckpointAsync(ParameterCheckpoint? parameters)
    {
        if (!checkpoints.Enabled)
        {
            return;
        }
        try
        {
            await checkpoints.SaveAsync(JobId, new JobCheckpoint { Status = _status with { Epochs = _epochs.ToArray() }, Parameters = parameters }, _generation);
        }
        catch (CheckpointFencedException e)
        {
            // A newer activation runs this job: this one stops, writing nothing more.
            logger.LogWarning("{Reason}; this activation stops", e.Message);
            _deactivating.Cancel();
            DeactivateOnIdle();
            return;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Job {JobId}: could not write its checkpoint", JobId);
            _status = _status with { CheckpointError = ErrorText.OneSentence($"could not write its checkpoint: {e.Message}") };
            return;
        }
        _status = _status with { CheckpointError = null };
    }

    private void Finish(JobState state, string? error)
    {
        _status = _status with { State = state, Error = error is null ? null : ErrorText.OneSentence(error), EndedAt = DateTimeOffset.UtcNow };
        Publish(Progress(ProgressKind.Finished));
        foreach (var watcher in _watchers)
        {
            watcher.Complete();
        }

        _watchers.Clear();
    }

    private JobProgress Progress(ProgressKind kind) => new()
    {
        JobId = JobId,
        Kind = kind,
        State = _status.State,
        Epoch = _status.Epoch,
        Epochs = _status.Spec?.Epochs ?? 0,
        Step = _status.Step,
        TotalSteps = _status.TotalSteps,
        Loss = _status.Loss,
        SamplesPerSecond = _status.SamplesPerSecond,
        Error = _status.Error,
    };

    private void Publish(JobProgress progress)
    {
        _lastProgress = progress;
        foreach (var watcher in _watchers)
        {
            watcher.Write(progress);
        }
    }
}
