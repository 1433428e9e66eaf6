using System.Numerics.Tensors;

namespace DistTrain.Core.Optim;

/// <summary>
/// SGD on a flat parameter vector: g ← ∇ + λw (weight decay), clipped to a maximum norm,
/// v ← μv + g, w ← w − η_t·(Nesterov ? g + μv : v). Works on spans, allocates only at construction,
/// and is the same code in the single-process trainer and in the parameter server.
/// </summary>
public sealed class SgdOptimizer
{
    private readonly float[] _velocity;
    private readonly float[] _direction;

    public SgdOptimizer(SgdOptions options, int parameterCount)
    {
        options.Validate();
        Options = options;
        _velocity = options.Momentum > 0 ? new float[parameterCount] : [];
        _direction = new float[parameterCount];
    }

    public SgdOptions Options { get; }

    /// <summary>Steps taken so far (drives the schedule).</summary>
    public long StepCount { get; private set; }

    /// <summary>The L2 norm of the last gradient passed to <see cref="Step"/> (before clipping).</summary>
    public float LastGradientNorm { get; private set; }

    public float CurrentLearningRate => Options.LearningRate * (Options.Schedule?.Factor(StepCount) ?? 1f);

    /// <summary>The optimizer state (velocity), for checkpoints.</summary>
    public ReadOnlySpan<float> Velocity => _velocity;

    public void RestoreState(ReadOnlySpan<float> velocity, long stepCount)
    {
        velocity.CopyTo(_velocity);
        StepCount = stepCount;
    }

    public void Step(Span<float> parameters, ReadOnlySpan<float> gradient)
    {
        if (parameters.Length != _direction.Length || gradient.Length != _direction.Length)
        {
            throw new ArgumentException(
                $"The optimizer was built for {_direction.Length} parameters; got {parameters.Length} parameters and {gradient.Length} gradients.");
        }
        var g = _direction.AsSpan();
        if (Options.WeightDecay > 0)
        {
            TensorPrimitives.MultiplyAdd(parameters, Options.WeightDecay, gradient, g);
        }
        else
        {
            gradient.CopyTo(g);
        }
        LastGradientNorm = TensorPrimitives.Norm(gradient);
        if (Options.ClipNorm is { } clip)
        {
            var norm = TensorPrimitives.Norm<float>(g);
            if (norm > clip)
            {
                TensorPrimitives.Multiply(g, clip / norm, g);
            }
        }
        var lr = CurrentLearningRate;
        if (Options.Momentum > 0)
        {
            var v = _velocity.AsSpan();
            TensorPrimitives.MultiplyAdd(v, Options.Momentum, g, v); // v = μv + g
            if (Options.Nesterov)
            {
                TensorPrimitives.MultiplyAdd(v, Options.Momentum, g, g); // g + μv
            }
            else
            {
                v.CopyTo(g);
            }
        }
        TensorPrimitives.MultiplyAdd(g, -lr, parameters, parameters);
        StepCount++;
    }
}
