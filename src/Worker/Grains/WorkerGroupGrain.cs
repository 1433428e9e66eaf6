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
/// </summary>
[ShardSpreadPlacement]
public sealed class WorkerGroupGrain(DataPlaneService dataPlane) : Grain, IWorkerGroupGrain
{
    private GroupSetup? _setup;
    private IWorkerGrain[] _workers = [];
    private WorkerInfo[] _infos = [];
    private GroupGradient? _last;

    // The silo's copy of the weights (pinned: the data plane receives into it), and its version.
    private float[]? _weights;
    private long _weightsVersion = -1;
    private StepBuffers<Segment>? _partial;
    private GradientTerm[] _terms = [];
    private readonly int[] _end = new int[1];
    private int _parameterCount;

    public async Task<IReadOnlyList<WorkerInfo>> InitializeAsync(GroupSetup setup)
    {
        if (_setup is not null && _setup == setup)
        {
            return _infos;
        }
        var shards = ReductionGroups.ShardsOf(setup.Group, setup.Groups, setup.Spec.Workers).ToArray();
        var workers = shards.Select(k => GrainFactory.GetGrain<IWorkerGrain>(WorkerKey.Format(setup.JobId, k))).ToArray();
        _setup = null; // until every worker is set up
        _infos = await Task.WhenAll(workers.Select((w, i) => w.InitializeAsync(new WorkerSetup
        {
            JobId = setup.JobId,
            Shard = shards[i],
            ShardCount = setup.Spec.Workers,
            Spec = setup.Spec,
            StartStep = setup.StartStep,
        })));
        _workers = workers;
        _parameterCount = TrainingSetup.Create(setup.Spec).Network.ParameterCount;
        _terms = new GradientTerm[workers.Length];
        _last = null;
        _weightsVersion = -1;
        _setup = setup;
        return _infos;
    }

    public async Task<GroupGradient> StepAsync(GroupStep step)
    {
        var setup = _setup ?? throw new WorkerStateLostException($"Worker group {this.GetPrimaryKeyString()} was not initialized (was its silo restarted?)");
        if (_last is { } last && last.GlobalStep == step.GlobalStep)
        {
            return last; // a retried step: the same answer
        }

        var fetchStart = Stopwatch.GetTimestamp();
        var weights = await WeightsForAsync(step);
        var fetch = Stopwatch.GetElapsedTime(fetchStart).TotalSeconds;
        var request = new StepRequest { Epoch = step.Epoch, StepInEpoch = step.StepInEpoch, GlobalStep = step.GlobalStep, Version = step.Version, Weights = FloatBlock.Own(weights) };
        var shards = _workers.Length == 1
            ? [await _workers[0].ComputeGradientAsync(request)]
            : await Task.WhenAll(_workers.Select(w => w.ComputeGradientAsync(request)));

        var result = new GroupGradient
        {
            Group = setup.Group,
            GlobalStep = step.GlobalStep,
            SampleCount = shards.Sum(s => s.SampleCount),
            Losses = shards.Select(s => new ShardLoss(s.Shard, s.SampleCount, s.Loss)).ToArray(),
            MeanComputeSeconds = shards.Average(s => s.ComputeSeconds),
            MaxComputeSeconds = shards.Max(s => s.ComputeSeconds),
            FetchSeconds = fetch,
            Workers = shards.Length,
        };
        if (step.Inline)
        {
            result = result with { Shards = shards };
        }
        else
        {
            var combineStart = Stopwatch.GetTimestamp();
            var partial = Combine(setup, step, shards, weights.Length);
            result = result with { Partial = partial, CombineSeconds = Stopwatch.GetElapsedTime(combineStart).TotalSeconds };
        }
        return _last = result with { Traffic = dataPlane.Traffic() };
    }

    /// <summary>Σ (n_k / n)·g_k over this silo's shards, n the whole batch, written into the group's
    /// block: the same sum, bit for bit, that the parameter server would form from the shards themselves.</summary>
    private BlockRef Combine(GroupSetup setup, GroupStep step, ShardGradient[] shards, int length)
    {
        _partial ??= new StepBuffers<Segment>(dataPlane.Create(length, shared: true));
        var segment = _partial.For(step.GlobalStep);
        var batch = BatchPlan.Batch(_infos[0].TrainCount, setup.Spec.GlobalBatchSize, step.StepInEpoch).Length;
        var n = 0;
        foreach (var shard in shards)
        {
            if (shard.SampleCount > 0)
            {
                if (shard.Gradient.Length != length)
                {
                    throw new InvalidOperationException($"Shard {shard.Shard} sent {shard.Gradient.Length} gradient values for {length} parameters");
                }
                _terms[n++] = new GradientTerm(shard.Gradient.Memory, GradientTerm.ShareOf(shard.SampleCount, batch));
            }
        }
        _end[0] = n;
        GradientAverage.CombineGroups(_terms.AsSpan(0, n), _end, segment.Floats, 0);
        segment.Publish(step.GlobalStep);
        return dataPlane.RefOf(segment);
    }

    /// <summary>
    /// The weights of the step's version for this silo's workers. One slice in this process's own
    /// array: that array, no copy. Otherwise every slice is copied (or received) once into the
    /// silo's copy, which all its workers then read.
    /// </summary>
    private async ValueTask<float[]> WeightsForAsync(GroupStep step)
    {
        if (step.Weights.Count == 1 && dataPlane.TryGetArray(step.Weights[0], out var own))
        {
            return own;
        }
        var length = step.Weights.Sum(w => (long)w.Length);
        if (length != _parameterCount)
        {
            throw new InvalidOperationException($"The weights' slices hold {length} values; the network has {_parameterCount}");
        }
        if (_weights is null || _weights.Length != length)
        {
            _weights = GC.AllocateUninitializedArray<float>((int)length, pinned: true);
            _weightsVersion = -1;
        }
        if (_weightsVersion != step.Version)
        {
            var start = 0;
            var reads = new ValueTask[step.Weights.Count];
            for (var s = 0; s < step.Weights.Count; s++)
            {
                reads[s] = dataPlane.ReadAsync(step.Weights[s], 0, _weights.AsMemory(start, step.Weights[s].Length));
                start += step.Weights[s].Length;
            }
            foreach (var read in reads)
            {
                await read;
            }
            _weightsVersion = step.Version;
        }
        return _weights;
    }

    public async Task<Evaluation> EvaluateAsync(GroupStep step)
    {
        if (_setup is null)
        {
            throw new WorkerStateLostException($"Worker group {this.GetPrimaryKeyString()} was not initialized");
        }
        var weights = new WeightsSnapshot { Version = step.Version, Weights = FloatBlock.Own(await WeightsForAsync(step)) };
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
        foreach (var segment in _partial?.All ?? [])
        {
            dataPlane.Retire(segment);
        }
        return Task.CompletedTask;
    }
}
