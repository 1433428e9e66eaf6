using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;
using DistTrain.Worker.Checkpoints;
using DistTrain.Worker.Training;
using Orleans.Placement;

namespace DistTrain.Worker.Grains;

/// <summary>
/// Owns the parameter vector and the optimizer state of one job.
/// </summary>
/// <remarks>
/// Placed on the silo of its first caller, the job grain, so the job↔server traffic (weights out,
/// gradients in, every step) stays in-silo, where an immutable FloatBlock passes without a copy.
/// Weights alternate between two arrays: version v+2 overwrites version v's. That is safe because
/// (1) this grain and the workers are not reentrant, (2) the job asks for step t+1 only after
/// ApplyAsync(t) has returned, so every reader of version v has finished, and (3) readers outside
/// the step loop get copies (GetWeightsAsync). InitializeAsync hands out version 0 uncopied: the
/// job calls it once, before the first step, and version 0's array is never reused.
/// </remarks>
[PreferLocalPlacement]
public sealed class ParameterServerGrain(CheckpointStore checkpoints) : Grain, IParameterServerGrain
{
    /// <summary>
    /// A server whose job left a checkpoint was lost with its silo: it comes back with the weights
    /// of that checkpoint, so that a finished job's final weights can still be read (`train --out`).
    /// A running job's grain restores it again when it resumes, which is harmless.
    /// </summary>
    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (await checkpoints.LoadAsync(this.GetPrimaryKeyString(), cancellationToken) is { Parameters: { } parameters, Status.Spec: { } spec })
        {
            await RestoreAsync(spec, parameters);
        }
    }

    private SgdOptimizer? _optimizer;
    private WeightsSnapshot _current = new();

    private float[]? _mean;
    private readonly float[]?[] _buffers = new float[2][];

    public Task<WeightsSnapshot> InitializeAsync(JobSpec spec)
    {
        if (_optimizer is null)
        {
            var setup = TrainingSetup.Create(spec);
            var weights = ParameterInit.Initialize(setup.Network, spec.Seed);
            _optimizer = new SgdOptimizer(setup.Sgd, weights.Length);
            _current = new WeightsSnapshot { Version = 0, AppliedStep = -1, Weights = FloatBlock.Own(weights) };
        }

        return Task.FromResult(_current);
    }

    /// <summary>A copy: the vectors this grain publishes to the job are reused two versions later.</summary>
    public Task<WeightsSnapshot> GetWeightsAsync() => Task.FromResult(_current with { Weights = FloatBlock.CopyOf(_current.Weights.Span) });

    public Task<ParameterCheckpoint> GetCheckpointAsync()
    {
        var optimizer = _optimizer ?? throw new InvalidOperationException($"Parameter server {this.GetPrimaryKeyString()} was not initialized");
        return Task.FromResult(new ParameterCheckpoint
        {
            Version = _current.Version,
            AppliedStep = _current.AppliedStep,
            Weights = FloatBlock.CopyOf(_current.Weights.Span),
            Velocity = FloatBlock.CopyOf(optimizer.Velocity),
            OptimizerSteps = optimizer.StepCount,
        });
    }

    public Task<WeightsSnapshot> RestoreAsync(JobSpec spec, ParameterCheckpoint checkpoint)
    {
        var setup = TrainingSetup.Create(spec);
        if (checkpoint.Weights.Length != setup.Network.ParameterCount)
        {
            throw new InvalidOperationException(
                $"Checkpoint of job {this.GetPrimaryKeyString()} holds {checkpoint.Weights.Length} parameters; {spec.Network} has {setup.Network.ParameterCount}");
        }
        var optimizer = new SgdOptimizer(setup.Sgd, checkpoint.Weights.Length);
        if (checkpoint.Velocity.Length != optimizer.Velocity.Length)
        {
            throw new InvalidOperationException(
                $"Checkpoint of job {this.GetPrimaryKeyString()} holds {checkpoint.Velocity.Length} momentum values; the optimizer needs {optimizer.Velocity.Length}");
        }
        optimizer.RestoreState(checkpoint.Velocity.Span, checkpoint.OptimizerSteps);
        _optimizer = optimizer;
        _buffers[0] = _buffers[1] = null;
        // A fresh array: the checkpoint's block is the caller's, and this server reuses its buffers.
        _current = new WeightsSnapshot
        {
            Version = checkpoint.Version,
            AppliedStep = checkpoint.AppliedStep,
            Weights = FloatBlock.CopyOf(checkpoint.Weights.Span),
        };
        return Task.FromResult(_current);
    }

    public Task<WeightsSnapshot> ApplyAsync(StepGradients gradients)
    {
        if (_optimizer is null)
        {
            throw new InvalidOperationException($"Parameter server {this.GetPrimaryKeyString()} was not initialized");
        }

        if (gradients.GlobalStep <= _current.AppliedStep)
        {
            return Task.FromResult(_current); // already applied: a retried call changes nothing
        }

        if (gradients.GlobalStep != _current.AppliedStep + 1)
        {
            throw new InvalidOperationException($"Step {gradients.GlobalStep} arrived after step {_current.AppliedStep}");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        _mean ??= new float[_current.Weights.Length];
        var (shardGradients, counts) = GradientAverager.Ordered(gradients.Shards, _mean.Length);
        // Two weight buffers in turn: version v+1 overwrites the buffer of v−1, whose readers (the
        // workers of step v−1) finished before this step began. Synchronous protocol only; outside
        // readers get copies (GetWeightsAsync).
        var next = _buffers[(int)(_current.Version + 1) & 1];
        if (next is null || next.Length != _mean.Length || ReferenceEquals(next, _current.Weights.ReadOnlyArray()))
        {
            next = _buffers[(int)(_current.Version + 1) & 1] = GC.AllocateUninitializedArray<float>(_mean.Length);
        }
        var current = _current.Weights.ReadOnlyArray();
        var mean = _mean;
        var optimizer = _optimizer;
        // Average and update range by range on every core (memory-bound: one core cannot saturate it).
        // Same arithmetic as the local trainer's, so the results stay bit-identical.
        var parts = Math.Max(1, Math.Min(Environment.ProcessorCount, mean.Length / 4096));
        // TaskScheduler.Default: inside a grain the current scheduler is the activation's own,
        // single-threaded one, where a second part could never run while the first waits for it.
        Parallel.For(0, parts, new ParallelOptions { TaskScheduler = TaskScheduler.Default }, part =>
        {
            var (start, length) = BatchPlan.VectorPart(mean.Length, part, parts);
            optimizer.StepRangeFromShards(shardGradients, counts, current.AsSpan(start, length), next.AsSpan(start, length), mean.AsSpan(start, length), start);
        });
        optimizer.CompleteStep();
        _current = new WeightsSnapshot
        {
            Version = _current.Version + 1,
            AppliedStep = gradients.GlobalStep,
            Weights = FloatBlock.Own(next),
            UpdateSeconds = clock.Elapsed.TotalSeconds,
        };
        return Task.FromResult(_current);
    }
}
