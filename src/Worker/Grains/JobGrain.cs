using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Training;
using DistTrain.Worker.Checkpoints;
using DistTrain.Worker.Data;
using DistTrain.Worker.Training;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace DistTrain.Worker.Grains;

/// <summary>
/// Drives one job: synchronous data-parallel SGD, one global minibatch per step.
/// Per step: send weights version v to every worker, gather their gradients (in shard order), hand
/// them to the parameter server, which returns version v+1.
/// </summary>
/// <remarks>
/// Reentrant on purpose: the training loop runs as a background task on the grain's scheduler, and
/// <see cref="WatchAsync"/> calls park for up to half the response timeout waiting for the next
/// event; status and cancel must never queue behind either. All state is still touched by one thread
/// at a time (the grain scheduler), and no method awaits between reading and writing state.
/// </remarks>
[Reentrant]
public sealed class JobGrain(DatasetCache datasets, CheckpointStore checkpoints, IHostApplicationLifetime silo, ILogger<JobGrain> logger)
    : Grain, IJobGrain
{
    private readonly List<Channel<JobProgress>> _watchers = [];
    private readonly List<EpochSummary> _epochs = [];
    private readonly StepTimer _timings = new();
    private static readonly long StepPublishInterval = Stopwatch.Frequency / 20;
    private long _lastStepPublished = long.MinValue / 2;
    private readonly CancellationTokenSource _cancel = new();
    // Tripped when this activation goes away (its silo stopping, or the keep-alive running out): the
    // loop stops without finishing the job, which resumes from its checkpoint at the next call.
    private readonly CancellationTokenSource _deactivating = new();
    private JobStatus _status = new();
    private JobProgress? _lastProgress;
    private IReadOnlyList<WorkerInfo> _workers = [];
    private Task? _run;
    private long _startStep;

    private string JobId => this.GetPrimaryKeyString();

    /// <summary>
    /// A new job starts Pending. A job that has a checkpoint was running on a silo that is gone (this
    /// activation is the first call to it since): a finished one gets its status back, a running one
    /// resumes from the end of its last finished epoch, on this silo.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _status = new JobStatus { JobId = JobId, State = JobState.Pending, Silo = RuntimeIdentity };
        if (await checkpoints.LoadAsync(JobId, cancellationToken) is not { } checkpoint)
        {
            return;
        }

        _epochs.AddRange(checkpoint.Status.Epochs);
        _status = checkpoint.Status with { Silo = RuntimeIdentity, Epochs = [] };
        if (_status.State.IsFinished() || checkpoint.Parameters is null || _status.Spec is null)
        {
            return;
        }

        _status = _status with { Resumes = _status.Resumes + 1 };
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

        var (setup, field, error) = TrainingSetup.TryCreate(spec);
        if (setup is null)
        {
            return SubmitResult.Reject(field!, $"{field} {error}");
        }

        var (_, dataError) = datasets.Resolve(spec.Dataset);
        if (dataError is not null)
        {
            return SubmitResult.Reject(nameof(JobSpec.Dataset), $"Dataset {dataError}");
        }

        var now = DateTimeOffset.UtcNow;
        _status = _status with { State = JobState.Running, Spec = spec, StartedAt = now };

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

    public async IAsyncEnumerable<JobProgress> WatchAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<JobProgress>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // A watcher that attaches late (or re-attaches) still sees every finished epoch first.
        foreach (var epoch in _epochs)
        {
            channel.Writer.TryWrite(Progress(ProgressKind.Epoch) with
            {
                Epoch = epoch.Epoch,
                Loss = epoch.TrainLoss,
                TestAccuracy = epoch.TestAccuracy,
                SamplesPerSecond = epoch.SamplesPerSecond,
            });
        }
        if (_lastProgress is not { Kind: ProgressKind.Epoch } || _epochs.Count == 0)
        {
            channel.Writer.TryWrite(_lastProgress ?? Progress(ProgressKind.Step));
        }
        if (_status.State.IsFinished())
        {
            channel.Writer.TryComplete();
        }
        else
        {
            _watchers.Add(channel);
        }

        try
        {
            await foreach (var progress in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return progress;
            }
        }
        finally
        {
            _watchers.Remove(channel);
        }
    }

    /// <summary>The training loop, from the start or from a checkpoint taken at the end of an epoch.</summary>
    private async Task RunAsync(JobSpec spec, ParameterCheckpoint? resume = null)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(_cancel.Token, _deactivating.Token);
        var cancellation = stop.Token;
        // Let StartAsync (or the activation) return first: the caller should not wait for dataset loading.
        await Task.Yield();
        var workers = Enumerable.Range(0, spec.Workers)
            .Select(k => GrainFactory.GetGrain<IWorkerGrain>(WorkerKey.Format(JobId, k)))
            .ToArray();
        var server = GrainFactory.GetGrain<IParameterServerGrain>(JobId);
        var workersSetUp = false;
        var stopping = false;
        try
        {
            var weights = resume is null ? await server.InitializeAsync(spec) : await server.RestoreAsync(spec, resume);
            long step = weights.AppliedStep + 1;
            _startStep = step; // a resumed job sets its workers up afresh (they may hold later steps)
            workersSetUp = true; // from here on they hold a replica each, even if setting up fails midway
            _workers = await Task.WhenAll(workers.Select((w, k) => w.InitializeAsync(Setup(spec, k))));

            var sampleCount = _workers[0].TrainCount;
            var stepsPerEpoch = BatchPlan.StepsPerEpoch(sampleCount, spec.GlobalBatchSize);
            var totalSteps = (long)stepsPerEpoch * spec.Epochs;
            if (spec.MaxSteps > 0)
            {
                totalSteps = Math.Min(totalSteps, spec.MaxSteps);
            }

            _status = _status with { StepsPerEpoch = stepsPerEpoch, TotalSteps = totalSteps };
            if (resume is null)
            {
                await SaveCheckpointAsync(server); // version 0: even a job lost in its first epoch resumes
            }
            logger.LogInformation("Job {JobId}: {Workers} workers on {Silos}, {Steps} steps", JobId, spec.Workers,
                string.Join(", ", _workers.Select(w => w.Silo).Distinct()), totalSteps);

            // Epochs count from 1, as in the local trainer: the epoch number also seeds the sample order.
            for (var epoch = _epochs.Count + 1; epoch <= spec.Epochs && step < totalSteps; epoch++)
            {
                var clock = Stopwatch.StartNew();
                double lossSum = 0;
                long samples = 0;
                var stepsThisEpoch = 0;
                for (var b = 0; b < stepsPerEpoch && step < totalSteps; b++, step++)
                {
                    cancellation.ThrowIfCancellationRequested();
                    var request = new StepRequest { Epoch = epoch, StepInEpoch = b, GlobalStep = step, Version = weights.Version, Weights = weights.Weights };
                    var stepStart = Stopwatch.GetTimestamp();
                    var shards = await Task.WhenAll(workers.Select((w, k) => ComputeWithRecoveryAsync(w, k, spec, request, cancellation)));
                    var fanOut = Stopwatch.GetElapsedTime(stepStart).TotalSeconds;
                    weights = await server.ApplyAsync(new StepGradients { GlobalStep = step, Shards = shards });
                    _timings.Add(shards, fanOut, Stopwatch.GetElapsedTime(stepStart).TotalSeconds, weights.UpdateSeconds);

                    var loss = GradientAverager.WeightedLoss(shards);
                    if (!double.IsFinite(loss))
                    {
                        throw new TrainingDivergedException(epoch, b + 1, (float)loss); // ends the job as Failed, with the reason
                    }
                    var stepSamples = shards.Sum(s => (long)s.SampleCount);
                    lossSum += loss * stepSamples; // weighted by samples, as the local trainer does
                    stepsThisEpoch++;
                    samples += stepSamples;
                    var rate = samples / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
                    _status = _status with { Epoch = epoch, Step = step + 1, Loss = loss, SamplesPerSecond = rate, WeightsVersion = weights.Version, Timings = _timings.Snapshot() };
                    // Watchers redraw at most ~10 times a second; a step of a small network takes
                    // ~0.1 ms, and streaming every one of them would cost more than the step.
                    var now = Stopwatch.GetTimestamp();
                    if (now - _lastStepPublished >= StepPublishInterval || b == stepsPerEpoch - 1 || step + 1 == totalSteps)
                    {
                        _lastStepPublished = now;
                        Publish(Progress(ProgressKind.Step));
                    }
                }

                var trainingSeconds = clock.Elapsed.TotalSeconds; // evaluation is not training time
                var slices = await Task.WhenAll(workers.Select((w, k) =>
                    WithRecoveryAsync(w, k, spec, cancellation, () => w.EvaluateAsync(weights))));
                var evaluation = new Evaluation
                {
                    Version = weights.Version,
                    Count = slices.Sum(e => e.Count),
                    Correct = slices.Sum(e => e.Correct),
                };
                evaluation = evaluation with { Accuracy = evaluation.Count == 0 ? 0 : (double)evaluation.Correct / evaluation.Count };
                var summary = new EpochSummary
                {
                    Epoch = epoch,
                    Steps = stepsThisEpoch,
                    TrainLoss = lossSum / Math.Max(samples, 1),
                    TestAccuracy = evaluation.Accuracy,
                    SamplesPerSecond = samples / Math.Max(trainingSeconds, 1e-9),
                };
                _epochs.Add(summary);
                Publish(Progress(ProgressKind.Epoch) with
                {
                    Loss = summary.TrainLoss,
                    TestAccuracy = evaluation.Accuracy,
                    SamplesPerSecond = summary.SamplesPerSecond,
                });
                logger.LogInformation("Job {JobId}: epoch {Epoch} loss {Loss:F4} accuracy {Accuracy:P2}", JobId, epoch, summary.TrainLoss, summary.TestAccuracy);
                await SaveCheckpointAsync(server);
            }

            Finish(JobState.Completed, null);
        }
        catch (OperationCanceledException) when (_deactivating.IsCancellationRequested && !_cancel.IsCancellationRequested)
        {
            stopping = true; // this activation is going away, not the job
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
            Finish(JobState.Failed, e is AggregateException { InnerException: { } inner } ? inner.Message : e.Message);
        }
        finally
        {
            if (!stopping)
            {
                // The final status, and for a completed job its final weights (for `train --out`,
                // should this silo die before they are read); nothing is left to resume either way.
                await SaveCheckpointAsync(_status.State == JobState.Completed ? server : null);
            }
            // The parameter server stays: it holds the final weights (`train --out` reads them). A
            // job that failed before creating its workers has none to release (a call would create them).
            foreach (var worker in workersSetUp ? workers : Array.Empty<IWorkerGrain>())
            {
                worker.ReleaseAsync().Ignore();
            }
        }
    }

    private WorkerSetup Setup(JobSpec spec, int shard) =>
        new() { JobId = JobId, Shard = shard, ShardCount = spec.Workers, Spec = spec, StartStep = _startStep };

    /// <summary>
    /// The job's status and, while it runs, the parameter server's state: written after every epoch
    /// (and once at the end) when the silo has a checkpoint folder, so that the job can resume on
    /// another silo if its own dies. A checkpoint that cannot be written costs the job nothing else.
    /// </summary>
    private async Task SaveCheckpointAsync(IParameterServerGrain? server)
    {
        if (!checkpoints.Enabled)
        {
            return;
        }
        try
        {
            var parameters = server is null ? null : await server.GetCheckpointAsync();
            await checkpoints.SaveAsync(JobId, new JobCheckpoint { Status = _status with { Epochs = _epochs.ToArray() }, Parameters = parameters });
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The job goes on; a server that cannot answer fails its next step anyway.
            logger.LogWarning(e, "Job {JobId}: could not write its checkpoint", JobId);
        }
    }

    /// <summary>
    /// One worker's step, surviving the loss of the worker's silo: the step is idempotent per
    /// (job, step, shard), so after a failure the worker (re-activated on a live silo by Orleans)
    /// is initialized again from the spec and asked for the same step. The weights come with the
    /// request and the data from the silo's disk, so nothing is lost and the result is the same.
    /// </summary>
    private Task<ShardGradient> ComputeWithRecoveryAsync(IWorkerGrain worker, int shard, JobSpec spec, StepRequest request, CancellationToken cancellation) =>
        WithRecoveryAsync(worker, shard, spec, cancellation, () => worker.ComputeGradientAsync(request), request.GlobalStep);

    /// <summary>A worker call that is retried, after re-initializing the worker, when its silo is lost.</summary>
    private async Task<T> WithRecoveryAsync<T>(IWorkerGrain worker, int shard, JobSpec spec, CancellationToken cancellation, Func<Task<T>> call, long step = -1)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsWorkerLoss(e) && attempt < MaxWorkerAttempts)
            {
                logger.LogWarning("Job {JobId}: worker {Shard} lost during {Work} ({Error}); re-initializing it (attempt {Attempt})",
                    JobId, shard, step >= 0 ? $"step {step}" : "evaluation", e.Message, attempt);
                _status = _status with { WorkerRecoveries = _status.WorkerRecoveries + 1 };
                // Give membership time to declare the dead silo, so the next call lands on a live one.
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, attempt)), cancellation);
                try
                {
                    var info = await worker.InitializeAsync(Setup(spec, shard));
                    _workers = _workers.Select((w, k) => k == shard ? info : w).ToArray();
                }
                catch (Exception again) when (IsWorkerLoss(again))
                {
                    // Still unreachable: the next attempt tries again.
                }
            }
        }
    }

    private const int MaxWorkerAttempts = 8;

    private static bool IsWorkerLoss(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or WorkerStateLostException
            or Orleans.Runtime.Messaging.ConnectionFailedException;

    private void Finish(JobState state, string? error)
    {
        _status = _status with { State = state, Error = error, EndedAt = DateTimeOffset.UtcNow };
        Publish(Progress(ProgressKind.Finished));
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryComplete();
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
            watcher.Writer.TryWrite(progress);
        }
    }
}
