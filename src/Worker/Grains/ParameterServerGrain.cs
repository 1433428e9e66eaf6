using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;
using DistTrain.Worker.Training;
using Orleans.Placement;

namespace DistTrain.Worker.Grains;

/// <summary>
/// Owns the parameter vector and the optimizer state of one job.
/// </summary>
/// <remarks>
/// Placed on the silo of its first caller, the job grain, so the job↔server traffic (weights out,
/// gradients in, every step) stays in-silo, where an immutable FloatBlock passes without a copy.
/// Each step publishes a new array: one handed out is never written again.
/// </remarks>
[PreferLocalPlacement]
public sealed class ParameterServerGrain : Grain, IParameterServerGrain
{
    private SgdOptimizer? _optimizer;
    private WeightsSnapshot _current = new();

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

    public Task<WeightsSnapshot> GetWeightsAsync() => Task.FromResult(_current);

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

        var mean = GradientAverager.WeightedMean(gradients.Shards, _current.Weights.Length);
        var next = _current.Weights.ToArray(); // a new array: the published one may still be in use
        _optimizer.Step(next, mean);
        _current = new WeightsSnapshot
        {
            Version = _current.Version + 1,
            AppliedStep = gradients.GlobalStep,
            Weights = FloatBlock.Own(next),
        };
        return Task.FromResult(_current);
    }
}
