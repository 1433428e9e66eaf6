using System.Diagnostics;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Core.Training;
using DistTrain.Worker.DataPlane;
using DistTrain.Worker.Placement;
using DistTrain.Worker.Training;

namespace DistTrain.Worker.Grains;

/// <summary>
/// The workers of one job on one silo. Per step: fetch the weights once for the whole silo (in
/// place when they are this process's own array), have the workers compute their slices, and combine
/// their gradients into one data-plane block, Σ (n_k / n)·g_k in shard order, which the
/// parameter-server slices read. So what crosses between silos grows with silos, not workers.
/// Steps come one call each (<see cref="StepAsync"/>, a job on one silo) or as a run that the
/// groups and slices pace among themselves over the data plane (<see cref="RunAsync"/>).
/// </summary>
[ShardSpreadPlacement]
public sealed class WorkerGroupGrain(DataPlaneService dataPlane, Microsoft.Extensions.Options.IOptions<StepDeadlineOptions> deadlines) : Grain, IWorkerGroupGrain
{
    private GroupSetup? _setup;
    private GroupInfo _info = new();
    private IWorkerGrain[] _workers = [];
    private GroupGradient? _last;
    private int _parameterCount;

    // The silo's copy of the weights (pinned: the data plane receives into it), and its version.
    private float[]? _weights;
    private long _weightsVersion = -1;
    private StepBuffers<Segment>? _partial;
    private GradientTerm[] _terms = [];
    private readonly int[] _end = new int[1];
    private ValueTask[] _reads = [];
    private float[]? _exact, _residual; // bf16 on the wire: the fp32 sum, and what rounding dropped so far

    public async Task<GroupInfo> InitializeAsync(GroupSetup setup)
    {
        if (_setup is not null && _setup == setup)
        {
            return _info;
        }
        var shards = ReductionGroups.ShardsOf(setup.Group, setup.Groups, setup.Spec.Workers).ToArray();
        var workers = shards.Select(k => GrainFactory.GetGrain<IWorkerGrain>(WorkerKey.Format(setup.JobId, k))).ToArray();
        _setup = null; // until every worker is set up
        // Bounded: a worker stuck in an earlier request would otherwise hold its set-up for minutes.
        var infos = await WorkerCalls.WithinAsync(workers.Select((w, i) => w.InitializeAsync(new WorkerSetup
        {
            JobId = setup.JobId,
            Shard = shards[i],
            ShardCount = setup.Spec.Workers,
            Spec = setup.Spec,
            StartStep = setup.StartStep,
        })).ToArray(), i => $"worker {shards[i]}", deadlines.Value.SetUp, $"its set-up from step {setup.StartStep}");
        _workers = workers;
        _parameterCount = TrainingSetup.Create(setup.Spec).Network.ParameterCount;
        _terms = new GradientTerm[workers.Length];
        _last = null;
        _weightsVersion = -1;
        // bf16 on the wire: what this group sends is rounded, and what rounding drops is added to
        // its next gradient (error feedback); a fresh set-up starts with nothing carried over.
        var bf16 = TrainingSetup.RoundsOnWire(setup.Spec, setup.Groups);
        RetirePartial();
        _partial = new StepBuffers<Segment>(bf16 ? dataPlane.CreateBf16(_parameterCount, shared: true) : dataPlane.Create(_parameterCount, shared: setup.Groups > 1));
        _exact = bf16 ? new float[_parameterCount] : null;
        _residual = bf16 ? new float[_parameterCount] : null;
        _info = new GroupInfo { Workers = infos, Partial = dataPlane.RefOf(_partial.For(0)) };
        _setup = setup;
        return _info;
    }

    public Task<FloatBlock> GetFeedbackAsync()
    {
        _ = Setup;
        return Task.FromResult(_residual is null ? FloatBlock.Empty : FloatBlock.CopyOf(_residual));
    }

    public Task SetFeedbackAsync(FloatBlock feedback)
    {
        _ = Setup;
        if (_residual is null)
        {
            if (feedback.Length != 0)
            {
                throw new ArgumentException($"Worker group {this.GetPrimaryKeyString()} rounds nothing (fp32 on the wire) but was given {feedback.Length} feedback values");
            }
            return Task.CompletedTask;
        }
        if (feedback.Length == 0)
        {
            Array.Clear(_residual);
        }
        else if (feedback.Length == _residual.Length)
        {
            feedback.Span.CopyTo(_residual);
        }
        else
        {
            throw new ArgumentException($"Worker group {this.GetPrimaryKeyString()} was given {feedback.Length} feedback values for {_residual.Length} parameters");
        }
        return Task.CompletedTask;
    }

    public async Task<GroupGradient> StepAsync(GroupStep step)
    {
        var setup = Setup;
        if (_last is { } last && last.GlobalStep == step.GlobalStep)
        {
            return last; // a retried step: the same answer
        }

        var fetchStart = Stopwatch.GetTimestamp();
        var weights = await WeightsForAsync(step.Weights, step.Version, wait: false);
        var fetch = Stopwatch.GetElapsedTime(fetchStart).TotalSeconds;
        var shards = await ComputeAsync(step.Epoch, step.StepInEpoch, step.GlobalStep, step.Version, weights, step.LocalSteps, step.StepDeadline);
        var result = GroupGradients.FromShards(setup.Group, step.GlobalStep, shards) with { FetchSeconds = fetch };
        if (step.Inline)
        {
            result = result with { Shards = shards };
        }
        else
        {
            var combineStart = Stopwatch.GetTimestamp();
            Combine(setup, step.StepInEpoch, step.GlobalStep, step.LocalSteps, shards);
            result = result with { Partial = dataPlane.RefOf(_partial!.For(step.GlobalStep)), CombineSeconds = Stopwatch.GetElapsedTime(combineStart).TotalSeconds };
        }
        return _last = result with { Traffic = dataPlane.Traffic() };
    }

    public async Task<GroupRunResult> RunAsync(GroupRun run)
    {
        var setup = Setup;
        var slices = run.SliceBuffers.Count / 2;
        var losses = new double[run.Steps];
        var samples = new int[run.Steps];
        double meanCompute = 0, maxCompute = 0, combine = 0, fetch = 0;
        var shardSeconds = new double[_workers.Length];
        var refs = new BlockRef[slices];
        var h = Math.Max(1, run.LocalSteps);
        for (var i = 0; i < run.Steps; i++)
        {
            var version = run.FirstVersion + i;
            var step = run.FirstStep + (long)i * h; // a round of h global steps per version
            for (var s = 0; s < slices; s++)
            {
                refs[s] = run.SliceBuffers[2 * s + (int)(version % 2)];
            }
            var clock = Stopwatch.GetTimestamp();
            var weights = await WeightsForAsync(refs, version, wait: true);
            fetch += Stopwatch.GetElapsedTime(clock).TotalSeconds;

            var shards = await ComputeAsync(run.Epoch, run.FirstStepInEpoch + i * h, step, version, weights, h, run.StepDeadline);
            clock = Stopwatch.GetTimestamp();
            Combine(setup, run.FirstStepInEpoch + i * h, step, h, shards);
            combine += Stopwatch.GetElapsedTime(clock).TotalSeconds;

            var slowest = 0.0;
            for (var k = 0; k < shards.Length; k++)
            {
                var shard = shards[k];
                shardSeconds[k] += shard.ComputeSeconds;
                losses[i] += shard.Loss * shard.SampleCount;
                samples[i] += shard.SampleCount;
                meanCompute += shard.ComputeSeconds / shards.Length;
                slowest = Math.Max(slowest, shard.ComputeSeconds);
            }
            maxCompute += slowest;
        }
        _last = null; // StepAsync's cache is of another protocol
        return new GroupRunResult
        {
            Group = setup.Group,
            LossSums = losses,
            Samples = samples,
            MeanComputeSeconds = meanCompute,
            MaxComputeSeconds = maxCompute,
            CombineSeconds = combine,
            FetchSeconds = fetch,
            Workers = _workers.Length,
            Traffic = dataPlane.Traffic(),
            ShardTimes = _info.Workers.Select((w, k) => new ShardTime(w.Shard, shardSeconds[k])).ToArray(),
        };
    }

    private GroupSetup Setup => _setup ?? throw new WorkerStateLostException($"Worker group {this.GetPrimaryKeyString()} was not initialized (was its silo restarted?)");

    /// <summary>The workers' gradients for one step (or round); a worker that misses
    /// <paramref name="deadline"/> is named in a <see cref="WorkerStuckException"/>.</summary>
    private async Task<ShardGradient[]> ComputeAsync(int epoch, int stepInEpoch, long step, long version, float[] weights, int localSteps, TimeSpan deadline)
    {
        var request = new StepRequest
        {
            Epoch = epoch, StepInEpoch = stepInEpoch, GlobalStep = step, Version = version, Weights = FloatBlock.Own(weights), LocalSteps = localSteps,
        };
        if (deadline <= TimeSpan.Zero)
        {
            return _workers.Length == 1
                ? [await _workers[0].ComputeGradientAsync(request)]
                : await Task.WhenAll(_workers.Select(w => w.ComputeGradientAsync(request)));
        }
        var calls = new Task<ShardGradient>[_workers.Length];
        for (var k = 0; k < calls.Length; k++)
        {
            calls[k] = _workers[k].ComputeGradientAsync(request);
        }
        return await WorkerCalls.WithinAsync(calls, k => WorkerCalls.Name(_info.Workers[k]), deadline, $"step {step}");
    }

    /// <summary>Σ (n_k / n)·g_k over this silo's shards, n the whole batch, written into the group's
    /// block and published with the step as its tag: the same sum, bit for bit, that the parameter
    /// server would form from the shards themselves.</summary>
    private void Combine(GroupSetup setup, int stepInEpoch, long step, int localSteps, ShardGradient[] shards)
    {
        var segment = _partial!.For(step);
        var batch = BatchPlan.RoundSamples(_info.Workers[0].TrainCount, setup.Spec.GlobalBatchSize, stepInEpoch, localSteps);
        var n = 0;
        foreach (var shard in shards)
        {
            if (shard.GlobalStep != step)
            {
                throw new InvalidOperationException($"Shard {shard.Shard} answered step {step} with its gradient of step {shard.GlobalStep}");
            }
            if (shard.SampleCount > 0)
            {
                if (shard.Gradient.Length != _parameterCount)
                {
                    throw new InvalidOperationException($"Shard {shard.Shard} sent {shard.Gradient.Length} gradient values for {_parameterCount} parameters");
                }
                _terms[n++] = new GradientTerm(shard.Gradient.Memory, GradientTerm.ShareOf(shard.SampleCount, batch));
            }
        }
        _end[0] = n;
        if (_exact is null)
        {
            GradientAverage.CombineGroups(_terms.AsSpan(0, n), _end, segment.Floats, 0);
        }
        else
        {
            GradientAverage.CombineGroups(_terms.AsSpan(0, n), _end, _exact, 0);
            DistTrain.Core.Kernels.BFloat16.RoundWithFeedback(_exact, _residual, segment.Halves);
        }
        segment.Publish(step);
    }

    /// <summary>
    /// The weights of <paramref name="version"/> for this silo's workers. One slice in this
    /// process's own array: that array, no copy. Otherwise every slice is copied (or received) once
    /// into the silo's copy, which all its workers then read; with <paramref name="wait"/>, each
    /// slice's block is awaited until its slice publishes the version.
    /// </summary>
    private async ValueTask<float[]> WeightsForAsync(IReadOnlyList<BlockRef> slices, long version, bool wait)
    {
        if (!wait && slices.Count == 1 && dataPlane.TryGetArray(slices[0], out var own) && own.Length == _parameterCount)
        {
            return own;
        }
        var length = 0L;
        foreach (var slice in slices)
        {
            length += slice.Elements;
        }
        if (length != _parameterCount)
        {
            throw new InvalidOperationException($"The weights' slices hold {length} values; the network has {_parameterCount}");
        }
        if (_weights is null || _weights.Length != length)
        {
            _weights = GC.AllocateUninitializedArray<float>((int)length, pinned: true);
            _weightsVersion = -1;
        }
        if (_weightsVersion != version)
        {
            if (_reads.Length < slices.Count)
            {
                _reads = new ValueTask[slices.Count];
            }
            var start = 0;
            for (var s = 0; s < slices.Count; s++)
            {
                _reads[s] = dataPlane.ReadValuesAsync(slices[s], version, 0, _weights.AsMemory(start, slices[s].Elements), wait);
                start += slices[s].Elements;
            }
            for (var s = 0; s < slices.Count; s++)
            {
                await _reads[s];
            }
            _weightsVersion = version;
        }
        return _weights;
    }

    public async Task<Evaluation> EvaluateAsync(GroupStep step)
    {
        _ = Setup;
        var weights = new WeightsSnapshot { Version = step.Version, Weights = FloatBlock.Own(await WeightsForAsync(step.Weights, step.Version, wait: false)) };
        var slices = await Task.WhenAll(_workers.Select(w => w.EvaluateAsync(weights)));
        return new Evaluation { Version = step.Version, Count = slices.Sum(e => e.Count), Correct = slices.Sum(e => e.Correct) };
    }

    public Task ReleaseAsync()
    {
        foreach (var worker in _workers)
        {
            worker.ReleaseAsync().Ignore();
        }
        DeactivateOnIdle();
        return Task.CompletedTask;
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        RetirePartial();
        return Task.CompletedTask;
    }

    private void RetirePartial()
    {
        foreach (var segment in _partial?.All ?? [])
        {
            dataPlane.Retire(segment);
        }
        _partial = null;
    }
}
