using System.Numerics.Tensors;
using DistTrain.Core.Training;

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

    /// <summary>The L2 norm of the last gradient passed to <see cref="Step"/> before clipping
    /// (computed only when clipping is on: it costs a pass over the vector).</summary>
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
        CheckLengths(parameters.Length, gradient.Length);
        var clipScale = 1f;
        if (Options.ClipNorm is { } clip)
        {
            LastGradientNorm = TensorPrimitives.Norm(gradient);
            // The norm of what is clipped includes weight decay: compute it on the decayed gradient.
            var g = _direction.AsSpan();
            Decay(parameters, gradient, g);
            var norm = TensorPrimitives.Norm<float>(g);
            clipScale = norm > clip ? clip / norm : 1f;
        }
        Update(parameters, parameters, gradient, 0, clipScale);
        StepCount++;
    }

    /// <summary>
    /// The update of one range of the vector, so several threads can update disjoint ranges of one
    /// step (no clipping: that needs the whole gradient's norm). Call <see cref="CompleteStep"/> once
    /// all ranges are done.
    /// </summary>
    public void StepRange(Span<float> parameters, ReadOnlySpan<float> gradient, int start) =>
        StepRange(parameters, parameters, gradient, start);

    /// <summary>As <see cref="StepRange(Span{float}, ReadOnlySpan{float}, int)"/>, but writes the updated
    /// range into <paramref name="next"/> and leaves <paramref name="current"/> as it is (a parameter
    /// server publishes a new vector every step). The arithmetic is the same, bit for bit.</summary>
    public void StepRange(ReadOnlySpan<float> current, Span<float> next, ReadOnlySpan<float> gradient, int start)
    {
        if (Options.ClipNorm is not null)
        {
            throw new InvalidOperationException("Gradient clipping needs the whole gradient: use Step.");
        }
        CheckRange(current.Length, next.Length, gradient.Length, start);
        Update(current, next, gradient, start, 1f);
    }

    private void CheckRange(int current, int next, int gradient, int start)
    {
        if (current != next || gradient != current || start < 0 || start + current > _direction.Length)
        {
            throw new ArgumentException(
                $"Range [{start}, {start + current}) with {next} outputs and {gradient} gradients does not fit {_direction.Length} parameters.");
        }
    }

    /// <summary>
    /// Combines a step's gradient terms (<see cref="GradientAverage.CombineGroups"/>) and applies the
    /// step to one range, reading <paramref name="current"/> and writing <paramref name="next"/>
    /// (which may be the same span). Chunk by chunk, so the combined gradient is still in L1 when the
    /// update reads it: one trip through memory, with exactly the bits of combining the whole range
    /// into <paramref name="meanScratch"/> first and then calling
    /// <see cref="StepRange(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, int)"/>.
    /// </summary>
    public void StepRangeFromGroups(ReadOnlySpan<GradientTerm> terms, ReadOnlySpan<int> groupEnds, ReadOnlySpan<float> current, Span<float> next,
        Span<float> meanScratch, int start)
    {
        if (Options.ClipNorm is not null)
        {
            throw new InvalidOperationException("Gradient clipping needs the whole gradient: use Step.");
        }
        CheckRange(current.Length, next.Length, meanScratch.Length, start);
        foreach (var term in terms)
        {
            if (term.Values.Length < start + current.Length)
            {
                throw new ArgumentException($"A gradient of {term.Values.Length} values cannot cover the range [{start}, {start + current.Length}).");
            }
        }
        for (var offset = 0; offset < current.Length; offset += GradientAverage.Chunk)
        {
            var length = Math.Min(GradientAverage.Chunk, current.Length - offset);
            var mean = meanScratch.Slice(offset, length);
            GradientAverage.CombineGroups(terms, groupEnds, mean, start + offset);
            Update(current.Slice(offset, length), next.Slice(offset, length), mean, start + offset, 1f);
        }
    }

    public void CompleteStep() => StepCount++;

    private void CheckLengths(int parameters, int gradient)
    {
        if (parameters != _direction.Length || gradient != _direction.Length)
        {
            throw new ArgumentException(
                $"The optimizer was built for {_direction.Length} parameters; got {parameters} parameters and {gradient} gradients.");
        }
    }

    private void Decay(ReadOnlySpan<float> parameters, ReadOnlySpan<float> gradient, Span<float> g)
    {
        if (Options.WeightDecay > 0)
        {
            TensorPrimitives.MultiplyAdd(parameters, Options.WeightDecay, gradient, g);
        }
        else
        {
            gradient.CopyTo(g);
        }
    }

    /// <summary>Applies the step to the range of the vector that starts at <paramref name="start"/>:
    /// reads <paramref name="current"/>, writes <paramref name="next"/> (which may be the same span).</summary>
    private void Update(ReadOnlySpan<float> current, Span<float> next, ReadOnlySpan<float> gradient, int start, float clipScale)
    {
        var lr = CurrentLearningRate;
        if (Options.WeightDecay == 0 && Options.Momentum == 0 && clipScale == 1f)
        {
            TensorPrimitives.MultiplyAdd(gradient, -lr, current, next); // plain SGD: one pass
            return;
        }
        var g = _direction.AsSpan(start, current.Length);
        Decay(current, gradient, g);
        if (clipScale != 1f)
        {
            TensorPrimitives.Multiply(g, clipScale, g);
        }
        if (Options.Momentum > 0)
        {
            var v = _velocity.AsSpan(start, current.Length);
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
        TensorPrimitives.MultiplyAdd(g, -lr, current, next);
    }
}
