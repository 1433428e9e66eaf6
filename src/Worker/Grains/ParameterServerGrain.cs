using System.Diagnostics;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;
using DistTrain.Worker.Checkpoints;
using DistTrain.Worker.DataPlane;
using DistTrain.Worker.Placement;
using DistTrain.Worker.Training;

namespace DistTrain.Worker.Grains;

/// <summary>
/// One slice of a job's parameter vector with its optimizer state (key "{jobId}/{slice}"). Slice s
/// of P sits on silo s mod S, beside worker group s, so the slices of a job spread over the cluster:
/// each reads its part of every group's gradient (in place on this host, over TCP from others),
/// applies SGD to its part and publishes its part of the next weights. The per-element arithmetic
/// is the single-process trainer's, so slicing changes no bit.
/// </summary>
[ShardSpreadPlacement]
public sealed class ParameterServerGrain(CheckpointStore checkpoints, DataPlaneService dataPlane) : Grain, IParameterServerGrain
{
    private SliceSetup? _setup;
    private long _generation; // the newest job activation seen (see Admit)
    private int _start, _length, _parameterCount;
    private SgdOptimizer? _optimizer;
    private StepBuffers<Segment>? _weights;
    // bf16 on the wire: the slice's own fp32 weights (v and v+1); what it publishes are these
    // rounded, and what rounding drops stays here, carried into the next step.
    private StepBuffers<float[]>? _master;
    private SliceWeights _current = new();
    private float[] _mean = [];
    private float[][] _received = [];
    private GradientTerm[] _terms = [];
    private int[] _groupEnds = [];

    /// <summary>
    /// A slice whose finished job left a checkpoint was lost with its silo: it comes back with that
    /// checkpoint's weights, so the final weights can still be read (`train --out`). A running job's
    /// slice stays empty: the job notices (<see cref="ParameterSliceLostException"/>) and rolls all
    /// slices back together.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (!WorkerKey.TryParse(this.GetPrimaryKeyString(), out var jobId, out var slice))
        {
            return;
        }
        if (await checkpoints.LoadAsync(jobId, cancellationToken) is { Parameters: { } parameters, Status: { Spec: { } spec } status }
            && status.State.IsFinished())
        {
            await RestoreAsync(new SliceSetup { Spec = spec, Slice = slice, Slices = Math.Max(1, status.Groups) }, parameters);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        Release();
        return Task.CompletedTask;
    }

    public Task<SliceWeights> InitializeAsync(SliceSetup setup)
    {
        Admit(setup.Generation, "its set-up");
        if (_optimizer is null || _setup != setup)
        {
            var network = Prepare(setup);
            var weights = ParameterInit.Initialize(network, setup.Spec.Seed);
            weights.AsSpan(_start, _length).CopyTo(Values(0));
            Publish(version: 0, appliedStep: -1, updateSeconds: 0, fetchSeconds: 0);
        }
        return Task.FromResult(_current);
    }

    public Task<SliceWeights> RestoreAsync(SliceSetup setup, ParameterCheckpoint checkpoint)
    {
        Admit(setup.Generation, "its restore");
        var network = TrainingSetup.Create(setup.Spec).Network;
        if (checkpoint.Weights.Length != network.ParameterCount)
        {
            throw new InvalidOperationException(
                $"The checkpoint of job {JobId} holds {checkpoint.Weights.Length} parameters; {setup.Spec.Network} has {network.ParameterCount}");
        }
        if (checkpoint.Velocity.Length != 0 && checkpoint.Velocity.Length != network.ParameterCount)
        {
            throw new InvalidOperationException(
                $"The checkpoint of job {JobId} holds {checkpoint.Velocity.Length} momentum values for {network.ParameterCount} parameters");
        }
        Prepare(setup);
        var velocity = checkpoint.Velocity.Length == 0 ? ReadOnlySpan<float>.Empty : checkpoint.Velocity.Span.Slice(_start, _length);
        if (velocity.Length != _optimizer!.Velocity.Length)
        {
            throw new InvalidOperationException(
                $"The checkpoint of job {JobId} holds {checkpoint.Velocity.Length} momentum values; the optimizer needs {(_optimizer.Velocity.Length == 0 ? "none" : "one per parameter")}");
        }
        _optimizer.RestoreState(velocity, checkpoint.OptimizerSteps);
        checkpoint.Weights.Span.Slice(_start, _length).CopyTo(Values(checkpoint.Version));
        Publish(checkpoint.Version, checkpoint.AppliedStep, updateSeconds: 0, fetchSeconds: 0);
        return Task.FromResult(_current);
    }

    /// <summary>
    /// Fencing: the slice serves the newest job activation that set it up (the highest generation
    /// seen), and refuses the requests of older ones, which may still run after the job resumed
    /// elsewhere. Generation 0 (no checkpoint folder, so no resume) is never fenced.
    /// </summary>
    private void Admit(long generation, string what)
    {
        if (generation < _generation)
        {
            throw new StaleActivationException(
                $"Parameter-server slice {this.GetPrimaryKeyString()} serves job activation {_generation}; {what} from the older activation {generation} was refused");
        }
        _generation = generation;
    }

    /// <summary>Fresh buffers and optimizer for the slice <paramref name="setup"/> names.</summary>
    private NetworkSpec Prepare(SliceSetup setup)
    {
        var training = TrainingSetup.Create(setup.Spec);
        if (setup.Slices < 1 || setup.Slice < 0 || setup.Slice >= setup.Slices)
        {
            throw new ArgumentException($"Slice {setup.Slice} of {setup.Slices} does not exist");
        }
        Release();
        _parameterCount = training.Network.ParameterCount;
        (_start, _length) = BatchPlan.VectorPart(_parameterCount, setup.Slice, setup.Slices);
        _optimizer = new SgdOptimizer(training.Sgd, _length);
        if (setup.Shared && setup.Spec.Wire == "bf16")
        {
            _weights = new StepBuffers<Segment>(dataPlane.CreateBf16(_length, shared: true), dataPlane.CreateBf16(_length, shared: true));
            _master = new StepBuffers<float[]>(new float[_length], new float[_length]);
        }
        else
        {
            _weights = new StepBuffers<Segment>(dataPlane.Create(_length, setup.Shared), dataPlane.Create(_length, setup.Shared));
            _master = null;
        }
        _mean = new float[_length];
        _setup = setup;
        return training.Network;
    }

    public Task<SliceWeights> GetPublishedAsync() => _optimizer is null
        ? throw new ParameterSliceLostException($"Parameter-server slice {this.GetPrimaryKeyString()} holds no state (was its silo restarted?)")
        : Task.FromResult(_current);

    public Task<WeightsSnapshot> GetWeightsAsync() => Task.FromResult(new WeightsSnapshot
    {
        Version = _current.Version,
        AppliedStep = _current.AppliedStep,
        Weights = _weights is null ? FloatBlock.Empty : FloatBlock.CopyOf(PublishedValues(_current.Version)),
    });

    public Task<ParameterCheckpoint> GetCheckpointAsync()
    {
        var optimizer = _optimizer ?? throw new ParameterSliceLostException($"Parameter-server slice {this.GetPrimaryKeyString()} was not initialized");
        return Task.FromResult(new ParameterCheckpoint
        {
            Version = _current.Version,
            AppliedStep = _current.AppliedStep,
            Weights = FloatBlock.CopyOf(Values(_current.Version)),
            Velocity = FloatBlock.CopyOf(optimizer.Velocity),
            OptimizerSteps = optimizer.StepCount,
        });
    }

    public async Task<SliceWeights> ApplyAsync(SliceStep step)
    {
        var optimizer = _optimizer ?? throw new ParameterSliceLostException($"Parameter-server slice {this.GetPrimaryKeyString()} holds no state (was its silo restarted?)");
        Admit(step.Generation, $"step {step.GlobalStep}");
        if (step.GlobalStep <= _current.AppliedStep)
        {
            return _current; // already applied: a retried call changes nothing
        }
        if (step.GlobalStep != _current.AppliedStep + 1)
        {
            throw new InvalidOperationException($"Step {step.GlobalStep} arrived after step {_current.AppliedStep}");
        }

        var fetchStart = Stopwatch.GetTimestamp();
        var termCount = await ArrangeAsync(step);
        var fetch = Stopwatch.GetElapsedTime(fetchStart).TotalSeconds;

        var update = Update(optimizer, termCount, _current.Version);
        Publish(_current.Version + 1, step.GlobalStep + Math.Max(1, step.LocalSteps) - 1, update, fetch);
        return _current;
    }

    public async Task<SliceWeights> RunAsync(SliceRun run)
    {
        var optimizer = _optimizer ?? throw new ParameterSliceLostException($"Parameter-server slice {this.GetPrimaryKeyString()} holds no state (was its silo restarted?)");
        Admit(run.Generation, $"the run from step {run.FirstStep}");
        if (run.FirstStep != _current.AppliedStep + 1)
        {
            throw new InvalidOperationException($"A run from step {run.FirstStep} arrived after step {_current.AppliedStep}");
        }
        var groups = run.Partials.Count;
        EnsureRoom(groups, groups);
        foreach (var partial in run.Partials)
        {
            if (partial.Elements != _parameterCount)
            {
                throw new InvalidOperationException($"A group's gradient block holds {partial.Elements} values for {_parameterCount} parameters");
            }
        }
        double fetch = 0, update = 0;
        var version = _current.Version;
        var h = Math.Max(1, run.LocalSteps);
        for (var i = 0; i < run.Steps; i++, version++)
        {
            var step = run.FirstStep + (long)i * h; // a round of h global steps per version
            var clock = Stopwatch.GetTimestamp();
            // Every group's combined gradient of this step, once it is published: in place on this
            // host, received from the others, all reads under way at once.
            for (var g = 0; g < groups; g++)
            {
                _gathers[g] = GatherAsync(run.Partials[g], g, step);
            }
            for (var g = 0; g < groups; g++)
            {
                _terms[g] = new GradientTerm(await _gathers[g], 1f); // already weighted by the group
                _groupEnds[g] = g + 1;
            }
            fetch += Stopwatch.GetElapsedTime(clock).TotalSeconds;
            update += Update(optimizer, groups, version);
            PublishValues(version + 1); // the groups wait for this tag
        }
        Publish(version, run.FirstStep + (long)run.Steps * h - 1, update, fetch);
        return _current;
    }

    private ValueTask<ReadOnlyMemory<float>>[] _gathers = [];

    /// <summary>This slice's part of group <paramref name="group"/>'s gradient of <paramref name="step"/>.</summary>
    private async ValueTask<ReadOnlyMemory<float>> GatherAsync(BlockRef partial, int group, long step)
    {
        var buffer = _received[group] ??= GC.AllocateUninitializedArray<float>(_length, pinned: true);
        if (partial.Encoding != BlockEncoding.Fp32)
        {
            await dataPlane.ReadValuesAsync(partial, step, _start, buffer, wait: true); // widened on the way
            return buffer;
        }
        var (found, view) = await dataPlane.ViewAsync(partial, step, _start, _length, wait: true);
        if (found)
        {
            return view;
        }
        await dataPlane.ReadAsync(partial, step, _start, buffer, wait: true);
        return buffer;
    }

    /// <summary>Averages the arranged terms and applies SGD to the slice, version v → v+1 (not yet
    /// published); returns the seconds it took.</summary>
    private double Update(SgdOptimizer optimizer, int termCount, long version)
    {
        var clock = Stopwatch.StartNew();
        var current = ValuesMemory(version);
        var next = ValuesMemory(version + 1);
        var terms = _terms;
        var ends = _groupEnds;
        var mean = _mean;
        var length = _length;
        // Average and update range by range on every core (memory-bound: one core cannot saturate it).
        var parts = Math.Max(1, Math.Min(Environment.ProcessorCount, length / 4096));
        if (parts == 1)
        {
            optimizer.StepRangeFromGroups(terms.AsSpan(0, termCount), ends, current.Span, next.Span, mean, 0);
        }
        else
        {
            // TaskScheduler.Default: inside a grain the current scheduler is the activation's own,
            // single-threaded one, where a second part could never run while the first waits for it.
            Parallel.For(0, parts, new ParallelOptions { TaskScheduler = TaskScheduler.Default }, part =>
            {
                var (start, count) = BatchPlan.VectorPart(length, part, parts);
                optimizer.StepRangeFromGroups(terms.AsSpan(0, termCount), ends, current.Span.Slice(start, count), next.Span.Slice(start, count),
                    mean.AsSpan(start, count), start);
            });
        }
        optimizer.CompleteStep();
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>Room for <paramref name="terms"/> gradient terms in <paramref name="groups"/> groups.</summary>
    private void EnsureRoom(int terms, int groups)
    {
        if (_terms.Length < terms)
        {
            _terms = new GradientTerm[terms];
        }
        if (_groupEnds.Length != groups)
        {
            _groupEnds = new int[groups];
        }
        if (_received.Length < groups)
        {
            Array.Resize(ref _received, groups);
        }
        if (_gathers.Length < groups)
        {
            _gathers = new ValueTask<ReadOnlyMemory<float>>[groups];
        }
    }

    /// <summary>
    /// The step's gradient terms over this slice, group by group: a group's combined block read in
    /// place (this process or this host) or received from its silo, or, for an inline step, the
    /// shards' own gradients with their shares of the batch. Returns the number of terms.
    /// </summary>
    private async ValueTask<int> ArrangeAsync(SliceStep step)
    {
        var groups = step.Groups;
        EnsureRoom(groups.Sum(g => Math.Max(1, g.Shards.Count)), groups.Count);
        var batch = groups.Sum(g => g.SampleCount);
        if (batch == 0)
        {
            throw new InvalidOperationException($"No worker processed any sample in step {step.GlobalStep}");
        }
        var n = 0;
        for (var g = 0; g < groups.Count; g++)
        {
            var group = groups[g];
            if (group.Group != g || group.GlobalStep != step.GlobalStep)
            {
                throw new InvalidOperationException($"Step {step.GlobalStep}: entry {g} is group {group.Group}'s answer for step {group.GlobalStep}");
            }
            if (group.SampleCount > 0 && group.Partial is { } partial)
            {
                if (partial.Length != _parameterCount)
                {
                    throw new InvalidOperationException($"Group {g} sent {partial.Length} gradient values for {_parameterCount} parameters");
                }
                if (!dataPlane.TryView(partial, _start, _length, out var view))
                {
                    var buffer = _received[g] ??= GC.AllocateUninitializedArray<float>(_length, pinned: true);
                    await dataPlane.ReadAsync(partial, _start, buffer);
                    view = buffer;
                }
                _terms[n++] = new GradientTerm(view, 1f); // already weighted by the group
            }
            foreach (var shard in group.Shards.OrderBy(s => s.Shard))
            {
                if (shard.SampleCount == 0)
                {
                    continue;
                }
                if (shard.Gradient.Length != _parameterCount)
                {
                    throw new InvalidOperationException($"Shard {shard.Shard} sent {shard.Gradient.Length} gradient values for {_parameterCount} parameters");
                }
                _terms[n++] = new GradientTerm(shard.Gradient.Memory.Slice(_start, _length), GradientTerm.ShareOf(shard.SampleCount, batch));
            }
            _groupEnds[g] = n;
        }
        return n;
    }

    /// <summary>The slice's weights of <paramref name="version"/>: the published segment's floats
    /// (fp32), or the slice's own fp32 copy behind the rounded ones (bf16).</summary>
    private Span<float> Values(long version) => ValuesMemory(version).Span;

    private Memory<float> ValuesMemory(long version) => _master is { } master ? master.For(version) : _weights!.For(version).Memory;

    /// <summary>The weights the groups compute with: for bf16, the rounded values, widened.</summary>
    private ReadOnlySpan<float> PublishedValues(long version)
    {
        if (_master is null)
        {
            return Values(version);
        }
        var values = new float[_length];
        DistTrain.Core.Kernels.BFloat16.Widen(_weights!.For(version).Halves, values);
        return values;
    }

    /// <summary>Makes <paramref name="version"/> visible to the groups: bf16 rounds it into its segment first.</summary>
    private void PublishValues(long version)
    {
        var segment = _weights!.For(version);
        if (_master is { } master)
        {
            DistTrain.Core.Kernels.BFloat16.Round(master.For(version), segment.Halves);
        }
        segment.Publish(version);
    }

    private void Publish(long version, long appliedStep, double updateSeconds, double fetchSeconds)
    {
        var segment = _weights!.For(version);
        PublishValues(version);
        _current = new SliceWeights
        {
            Slice = _setup!.Slice,
            Version = version,
            AppliedStep = appliedStep,
            Weights = dataPlane.RefOf(segment),
            Buffers = _weights.All.Select(dataPlane.RefOf).ToArray(),
            UpdateSeconds = updateSeconds,
            FetchSeconds = fetchSeconds,
            Traffic = dataPlane.Traffic(),
            Silo = RuntimeIdentity,
        };
    }

    private void Release()
    {
        foreach (var segment in _weights?.All ?? [])
        {
            dataPlane.Retire(segment);
        }
        _weights = null;
    }

    private string JobId => WorkerKey.TryParse(this.GetPrimaryKeyString(), out var job, out _) ? job : this.GetPrimaryKeyString();
}
