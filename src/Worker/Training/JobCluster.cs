using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Core.Training;
using Microsoft.Extensions.Logging;

namespace DistTrain.Worker.Training;

/// <summary>
/// The grains one job trains with, and one synchronous step over them: G worker groups (one per silo
/// the job started on; group g holds shards g, g+G, …) and P = G parameter-server slices, slice s
/// beside group s. A step: every group fetches the weights, computes and combines its shards'
/// gradients; then every slice reads its part of every group's gradient and updates its part.
/// Lost silos are recovered here: a lost group is set up again and asked for the same step (steps
/// are idempotent); a lost slice is reported to the job (<see cref="ParameterSliceLostException"/>),
/// which rolls every slice back to the last epoch's checkpoint.
/// </summary>
/// <remarks>A worker that is alive but misses the step deadline (<see cref="StepDeadline"/>) is
/// asked again, at most <see cref="StepDeadlineOptions.Retries"/> times over the job's life; then the
/// job fails with a <see cref="WorkerStuckException"/> naming the worker and the step.</remarks>
internal sealed class JobCluster(IGrainFactory grains, DataPlane.DataPlaneService dataPlane, string jobId, JobSpec spec, int groups,
    long generation, StepDeadlineOptions deadlines, ILogger logger)
{
    private const int MaxAttempts = 8;

    private readonly IWorkerGroupGrain[] _groups = Enumerable.Range(0, groups)
        .Select(g => grains.GetGrain<IWorkerGroupGrain>(WorkerKey.Format(jobId, g))).ToArray();
    private readonly IParameterServerGrain[] _slices = Enumerable.Range(0, groups)
        .Select(s => grains.GetGrain<IParameterServerGrain>(WorkerKey.Format(jobId, s))).ToArray();
    private readonly IWorkerGrain[] _workerGrains = Enumerable.Range(0, spec.Workers)
        .Select(k => grains.GetGrain<IWorkerGrain>(WorkerKey.Format(jobId, k))).ToArray();
    private readonly GroupInfo?[] _groupInfos = new GroupInfo?[groups];
    private SliceWeights[] _weights = [];
    private long _startStep;
    private string _jobSilo = "";
    private readonly StepDeadline _deadline = new(deadlines);

    public int Groups => groups;

    // Groups have been asked to set up: they hold replicas to release at the end.
    private bool _groupsCreated;

    /// <summary>Called with a lost group's number and the error before it is recovered.</summary>
    public Action<int, Exception>? OnGroupRecovery { get; init; }

    /// <summary>Called when a worker missed its deadline and the step is asked again (or the epoch redone).</summary>
    public Action<WorkerStuckException>? OnStuckRetry { get; init; }

    /// <summary>Each worker's compute time per step so far.</summary>
    public WorkerTimes Times { get; } = new();

    /// <summary>Retries spent on stuck workers so far.</summary>
    public int StuckRetries { get; private set; }

    public SliceWeights[] Weights => _weights;

    public long Version => _weights[0].Version;

    public long AppliedStep => _weights[0].AppliedStep;

    /// <summary>Every worker, in shard order.</summary>
    public IReadOnlyList<WorkerInfo> Workers => _groupInfos.Where(g => g is not null).SelectMany(g => g!.Workers).OrderBy(w => w.Shard).ToArray();

    /// <summary>Several silos: steps run as <see cref="RunAsync"/> runs, paced over the data plane.
    /// One: one call per step, whose gradients go to the slice by reference.</summary>
    public bool RunsOnDataPlane => groups > 1;

    /// <summary>Sets up the slices (fresh, or from <paramref name="resume"/>) and the groups.</summary>
    public async Task SetUpAsync(ParameterCheckpoint? resume, string jobSilo)
    {
        _jobSilo = jobSilo;
        _weights = await Task.WhenAll(_slices.Select((s, i) => resume is null ? s.InitializeAsync(SliceSetup(i)) : s.RestoreAsync(SliceSetup(i), resume)));
        CheckVersions(_weights);
        _startStep = AppliedStep + 1;
        _groupsCreated = true;
        await Task.WhenAll(_groups.Select(async (g, i) => _groupInfos[i] = await g.InitializeAsync(GroupSetup(i))));
        if (RoundsOnWire)
        {
            // The rounding each group had dropped by the state's step goes back with it: the job then
            // goes on exactly as an uninterrupted one would.
            var feedback = resume?.Feedback ?? [];
            if (feedback.Count is not 0 && feedback.Count != groups)
            {
                throw new InvalidOperationException($"The checkpoint of job {jobId} holds the bf16 feedback of {feedback.Count} worker groups; the job has {groups}");
            }
            await Task.WhenAll(_groups.Select((g, i) => g.SetFeedbackAsync(feedback.Count == 0 ? FloatBlock.Empty : feedback[i])));
        }
    }

    /// <summary>`--wire bf16` across silos: each group carries what its rounding dropped (error
    /// feedback), state that a group lost mid-epoch takes with it.</summary>
    private bool RoundsOnWire => TrainingSetup.RoundsOnWire(spec, groups);

    /// <summary>Back to <paramref name="checkpoint"/> on every slice, groups set up afresh.</summary>
    public Task RollBackAsync(ParameterCheckpoint checkpoint) => SetUpAsync(checkpoint, _jobSilo);

    private SliceSetup SliceSetup(int slice) => new() { Spec = spec, Slice = slice, Slices = groups, Shared = groups > 1, Generation = generation };

    private GroupSetup GroupSetup(int group) => new() { JobId = jobId, Group = group, Groups = groups, Spec = spec, StartStep = _startStep };

    private GroupStep Request(int epoch, int stepInEpoch, long step, int localSteps = 1) => new()
    {
        Epoch = epoch,
        StepInEpoch = stepInEpoch,
        GlobalStep = step,
        LocalSteps = localSteps,
        Version = Version,
        Weights = _weights.Select(w => w.Weights).ToArray(),
        StepDeadline = _deadline.For(rounds: 1),
        // One silo holding the job, its one group and its one slice: the workers' gradients go
        // straight to the slice by reference, with no combining pass in between.
        Inline = groups == 1 && _weights[0].Silo == _jobSilo && _groupInfos[0] is { Workers.Count: > 0 } g && g.Workers.All(x => x.Silo == _jobSilo),
    };

    /// <summary>One step (or round of <paramref name="localSteps"/> local steps): the groups' gradients.
    /// A worker that misses its deadline is asked again, within the job's retries.</summary>
    public async Task<(GroupGradient[] Groups, double GroupSeconds)> ComputeAsync(int epoch, int stepInEpoch, long step, int localSteps, CancellationToken cancellation)
    {
        while (true)
        {
            try
            {
                var (answers, seconds) = await ComputeOnceAsync(epoch, stepInEpoch, step, localSteps, cancellation);
                _deadline.Observe(seconds, rounds: 1);
                foreach (var answer in answers)
                {
                    Times.Add(answer.ShardTimes, localSteps);
                }
                return (answers, seconds);
            }
            catch (WorkerStuckException e) when (MayRetry(e))
            {
                // Asked again as it is: a worker that was only slow answers, one that is stuck is
                // still busy with the first request, and this one queues behind it.
            }
        }
    }

    /// <summary>Whether a stuck worker may be asked again (the retry is counted), or the job must fail.</summary>
    public bool MayRetry(WorkerStuckException e)
    {
        _firstStuck ??= e.Message;
        if (StuckRetries >= deadlines.Retries)
        {
            return false;
        }
        StuckRetries++;
        logger.LogWarning("Job {JobId}: {Error}; asking again (retry {Retry} of {Retries})", jobId, e.Message, StuckRetries, deadlines.Retries);
        OnStuckRetry?.Invoke(e);
        return true;
    }

    private string? _firstStuck;

    /// <summary>The job's error once the retries are spent: the step first missed, and the last.</summary>
    public string StuckError(WorkerStuckException last) => _firstStuck is null || _firstStuck == last.Message
        ? last.Message
        : $"{_firstStuck}; asked again {StuckRetries} {(StuckRetries == 1 ? "time" : "times")}, {last.Message}";

    private async Task<(GroupGradient[] Groups, double GroupSeconds)> ComputeOnceAsync(int epoch, int stepInEpoch, long step, int localSteps, CancellationToken cancellation)
    {
        var request = Request(epoch, stepInEpoch, step, localSteps);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        if (request.Inline && dataPlane.TryGetArray(request.Weights[0], out var weights))
        {
            // Everything in this silo: the job asks the workers itself, as the group would, and
            // saves a hop per step (tens of microseconds, a third of a small network's step).
            var work = new StepRequest
            {
                Epoch = epoch, StepInEpoch = stepInEpoch, GlobalStep = step, Version = request.Version, Weights = FloatBlock.Own(weights), LocalSteps = localSteps,
            };
            var workers = _groupInfos[0]!.Workers; // one group: every shard, in order
            var shards = await WithGroupRecoveryAsync(0, cancellation, () => WorkerCalls.WithinAsync(
                _workerGrains.Select(w => w.ComputeGradientAsync(work)).ToArray(), k => WorkerCalls.Name(workers[k]), request.StepDeadline, $"step {step}"));
            return ([GroupGradients.FromShards(0, step, shards) with { Shards = shards }], clock.Elapsed.TotalSeconds);
        }
        var answers = await Task.WhenAll(_groups.Select((g, i) => WithGroupRecoveryAsync(i, cancellation, () => g.StepAsync(request))));
        return (answers, clock.Elapsed.TotalSeconds);
    }

    /// <summary>Applies step <paramref name="step"/> on every slice. A group's block that cannot be
    /// read (its silo died after answering) sends the step back to the groups, then applies again.</summary>
    public async Task<SliceWeights[]> ApplyAsync(int epoch, int stepInEpoch, long step, int localSteps, GroupGradient[] answers, CancellationToken cancellation)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var apply = new SliceStep { GlobalStep = step, Groups = answers, LocalSteps = localSteps, Generation = generation };
                var weights = await Task.WhenAll(_slices.Select(s => s.ApplyAsync(apply)));
                CheckVersions(weights);
                return _weights = weights;
            }
            catch (Exception e) when (IsLoss(e) && attempt < MaxAttempts)
            {
                logger.LogWarning("Job {JobId}: applying step {Step} failed ({Error}); asking the groups again (attempt {Attempt})", jobId, step, e.Message, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, attempt)), cancellation);
                // A lost group is recovered (set up again) and recomputes; live ones answer from their cache.
                answers = (await ComputeAsync(epoch, stepInEpoch, step, localSteps, cancellation)).Groups;
            }
        }
    }

    /// <summary>
    /// Steps [step, step + count) of one epoch, which the groups and slices pace among themselves over
    /// the data plane: one call to each per run, none per step. A failure anywhere in the run (a silo
    /// lost, a block that never came) is thrown as it is; the job rolls back to the last epoch.
    /// </summary>
    /// <param name="count">Steps in the run, or rounds of <paramref name="localSteps"/> local steps each.</param>
    /// <summary>How long the other calls of a run may take to report their own failure once one has failed.</summary>
    private static readonly TimeSpan FailureGrace = TimeSpan.FromSeconds(2);

    /// <summary>Completes when one of <paramref name="calls"/> fails, or all have succeeded.</summary>
    private static async Task FirstFailureAsync(Task[] calls)
    {
        var pending = calls.ToList();
        while (pending.Count > 0)
        {
            var done = await Task.WhenAny(pending);
            if (!done.IsCompletedSuccessfully)
            {
                return;
            }
            pending.Remove(done);
        }
    }

    public async Task<(GroupRunResult[] Groups, SliceWeights[] Slices)> RunAsync(int epoch, int stepInEpoch, long step, int count, int localSteps)
    {
        var run = new GroupRun
        {
            Epoch = epoch,
            FirstStepInEpoch = stepInEpoch,
            FirstStep = step,
            Steps = count,
            LocalSteps = localSteps,
            FirstVersion = Version,
            SliceBuffers = _weights.SelectMany(w => w.Buffers).ToArray(),
            StepDeadline = _deadline.For(rounds: 1),
        };
        var sliceRun = new SliceRun
        {
            FirstStep = step, Steps = count, LocalSteps = localSteps, Partials = _groupInfos.Select(g => g!.Partial).ToArray(), Generation = generation,
        };
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var groupCalls = _groups.Select(g => g.RunAsync(run)).ToArray();
        var sliceCalls = _slices.Select(s => s.RunAsync(sliceRun)).ToArray();
        var groupsDone = Task.WhenAll(groupCalls);
        var slicesDone = Task.WhenAll(sliceCalls);
        var all = Task.WhenAll(groupsDone, slicesDone);
        await Task.WhenAny(all, FirstFailureAsync([.. groupCalls, .. sliceCalls]));
        if (!all.IsCompletedSuccessfully)
        {
            // A call failed. A call to a silo that died without membership noticing (a localhost
            // cluster's primary) would hang until Orleans' response timeout: the others get a moment
            // to report their own failure, then the run is given up without them.
            await Task.WhenAny(all, Task.Delay(FailureGrace));
        }
        if (!all.IsCompletedSuccessfully)
        {
            _ = all.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default); // what is abandoned fails unobserved
            var failure = groupCalls.Concat<Task>(sliceCalls).Where(t => t.IsFaulted).SelectMany(t => t.Exception!.InnerExceptions).ToArray();
            // The first real failure, not the aggregate: a stuck worker (whose silence made the
            // others' data-plane reads time out) or a lost slice says so, and so does a block that never came.
            throw failure.FirstOrDefault(e => e is WorkerStuckException or StaleActivationException)
                ?? failure.FirstOrDefault(e => e is ParameterSliceLostException)
                ?? failure.FirstOrDefault(e => sliceCalls.Any(t => t.Exception?.InnerExceptions.Contains(e) == true))
                ?? failure.FirstOrDefault()
                ?? new TimeoutException($"a call of steps {step}–{step + (long)count * localSteps - 1} was cancelled before it answered");
        }
        _deadline.Observe(clock.Elapsed.TotalSeconds, rounds: count);
        foreach (var group in groupsDone.Result)
        {
            Times.Add(group.ShardTimes, count * localSteps);
        }
        var weights = slicesDone.Result;
        CheckVersions(weights);
        _weights = weights;
        return (groupsDone.Result, weights);
    }

    public async Task<(int Count, int Correct)> EvaluateAsync(CancellationToken cancellation)
    {
        var request = Request(0, 0, AppliedStep) with { Inline = false };
        var results = await Task.WhenAll(_groups.Select((g, i) => WithGroupRecoveryAsync(i, cancellation, () => g.EvaluateAsync(request))));
        return (results.Sum(r => r.Count), results.Sum(r => r.Correct));
    }

    /// <summary>The slices' state joined into the whole vector's.</summary>
    public async Task<ParameterCheckpoint> CheckpointAsync()
    {
        var parts = await Task.WhenAll(_slices.Select(s => s.GetCheckpointAsync()));
        var feedback = RoundsOnWire ? await Task.WhenAll(_groups.Select(g => g.GetFeedbackAsync())) : [];
        return new ParameterCheckpoint
        {
            Version = parts[0].Version,
            AppliedStep = parts[0].AppliedStep,
            Weights = Join(parts.Select(p => p.Weights)),
            Velocity = Join(parts.Select(p => p.Velocity)),
            OptimizerSteps = parts[0].OptimizerSteps,
            Feedback = feedback,
        };
    }

    public static async Task<WeightsSnapshot> WeightsAsync(IGrainFactory grains, string jobId, int slices)
    {
        var parts = await Task.WhenAll(Enumerable.Range(0, slices).Select(s => grains.GetGrain<IParameterServerGrain>(WorkerKey.Format(jobId, s)).GetWeightsAsync()));
        return new WeightsSnapshot { Version = parts[0].Version, AppliedStep = parts[0].AppliedStep, Weights = Join(parts.Select(p => p.Weights)) };
    }

    public void Release()
    {
        foreach (var group in _groupsCreated ? _groups : [])
        {
            group.ReleaseAsync().Ignore();
        }
    }

    private static FloatBlock Join(IEnumerable<FloatBlock> parts)
    {
        var blocks = parts.ToArray();
        var all = new float[blocks.Sum(b => b.Length)];
        var start = 0;
        foreach (var block in blocks)
        {
            block.Span.CopyTo(all.AsSpan(start));
            start += block.Length;
        }
        return FloatBlock.Own(all);
    }

    private void CheckVersions(SliceWeights[] weights)
    {
        if (weights.Any(w => w.Version != weights[0].Version || w.AppliedStep != weights[0].AppliedStep))
        {
            throw new InvalidOperationException($"Job {jobId}: the parameter-server slices disagree on the version ({string.Join(", ", weights.Select(w => w.Version))})");
        }
    }

    /// <summary>A group call that is retried, after setting the group up again, when its silo is lost.</summary>
    private async Task<T> WithGroupRecoveryAsync<T>(int group, CancellationToken cancellation, Func<Task<T>> call)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await call();
            }
            catch (Exception e) when (IsLoss(e) && RoundsOnWire)
            {
                // Its bf16 feedback went with its silo: only the last epoch's state has it.
                throw new JobRollbackException($"worker group {group} was lost with its bf16 feedback: {e.Message}", e);
            }
            catch (Exception e) when (IsLoss(e) && attempt < MaxAttempts)
            {
                OnGroupRecovery?.Invoke(group, e);
                // Give membership time to declare the dead silo, so the next call lands on a live one.
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(10, attempt)), cancellation);
                // The weights the group could not fetch may be those of a slice lost with its silo:
                // then the job must roll back (this throws), else the group is set up again.
                await CheckSlicesAsync();
                try
                {
                    _groupInfos[group] = await _groups[group].InitializeAsync(GroupSetup(group));
                }
                catch (Exception again) when (IsLoss(again))
                {
                    // Still unreachable: the next attempt tries again.
                }
            }
        }
    }

    /// <summary>Throws <see cref="ParameterSliceLostException"/> if a slice has lost its state;
    /// slices that cannot be reached yet are left for the next attempt.</summary>
    private async Task CheckSlicesAsync()
    {
        foreach (var slice in _slices)
        {
            try
            {
                await slice.GetPublishedAsync();
            }
            catch (Exception e) when (IsLoss(e))
            {
                // Unreachable for now: membership has not declared its silo dead yet.
            }
        }
    }

    /// <summary>Failures that mean a silo (or what it held) is gone, not a bug or a bad spec.</summary>
    public static bool IsLoss(Exception e) =>
        e is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException or WorkerStateLostException
            or DataPlaneException or Orleans.Runtime.Messaging.ConnectionFailedException;
}
