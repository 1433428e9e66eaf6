using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
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
    /// Averages shard gradients (weighted by sample count, in shard order) and applies the step to
    /// one range, reading <paramref name="current"/> and writing <paramref name="next"/>. For plain
    /// SGD this is one pass over memory instead of two, with exactly the arithmetic of
    /// <see cref="GradientAverage.Combine(ReadOnlySpan{float[]}, ReadOnlySpan{int}, Span{float}, int)"/>
    /// followed by <see cref="StepRange(ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, int)"/>
    /// (separately rounded products and sums, as TensorPrimitives.MultiplyAdd computes them), so
    /// both give the same bits. Other settings combine into <paramref name="meanScratch"/> first.
    /// </summary>
    public void StepRangeFromShards(ReadOnlySpan<float[]> shards, ReadOnlySpan<int> counts, ReadOnlySpan<float> current, Span<float> next,
        Span<float> meanScratch, int start)
    {
        if (Options.WeightDecay != 0 || Options.Momentum != 0 || Options.ClipNorm is not null || !Vector512.IsHardwareAccelerated)
        {
            GradientAverage.Combine(shards, counts, meanScratch, start);
            StepRange(current, next, meanScratch, start);
            return;
        }
        CheckRange(current.Length, next.Length, meanScratch.Length, start);
        var total = 0;
        foreach (var c in counts)
        {
            total += c;
        }
        var length = current.Length;
        Span<int> used = stackalloc int[shards.Length];
        Span<float> weights = stackalloc float[shards.Length];
        var k = 0;
        for (var s = 0; s < shards.Length; s++)
        {
            if (counts[s] > 0)
            {
                if (shards[s].Length < start + length)
                {
                    throw new ArgumentException($"Shard {s} holds {shards[s].Length} values; the range [{start}, {start + length}) needs more.");
                }
                used[k] = s;
                weights[k++] = (float)counts[s] / total;
            }
        }
        if (k == 0)
        {
            current.CopyTo(next); // no samples: a zero gradient leaves the parameters as they are
            return;
        }
        var lr = -CurrentLearningRate;
        ref var cur = ref MemoryMarshal.GetReference(current);
        ref var nxt = ref MemoryMarshal.GetReference(next);
        var i = 0;
        for (; i + Vector512<float>.Count <= length; i += Vector512<float>.Count)
        {
            var mean = Vector512.LoadUnsafe(ref shards[used[0]][start], (nuint)i) * Vector512.Create(weights[0]);
            for (var j = 1; j < k; j++)
            {
                mean = Vector512.LoadUnsafe(ref shards[used[j]][start], (nuint)i) * Vector512.Create(weights[j]) + mean;
            }
            (mean * Vector512.Create(lr) + Vector512.LoadUnsafe(ref cur, (nuint)i)).StoreUnsafe(ref nxt, (nuint)i);
        }
        for (; i < length; i++)
        {
            var mean = shards[used[0]][start + i] * weights[0];
            for (var j = 1; j < k; j++)
            {
                mean = shards[used[j]][start + i] * weights[j] + mean;
            }
            next[i] = mean * lr + current[i];
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
