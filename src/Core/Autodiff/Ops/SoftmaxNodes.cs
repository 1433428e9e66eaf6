using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>
/// log softmax over the last axis: y = x − max − log Σ exp(x − max) (subtracting the row maximum
/// keeps exp from overflowing). VJP: dx = dy − softmax·Σdy; JVP: ty = tx − Σ softmax·tx.
/// </summary>
public sealed class LogSoftmaxNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[]? _softmax;

    public override string Name => "logsoftmax";

    private int Width => A.Shape[^1];

    internal override void Forward()
    {
        Softmax.LogSoftmaxRows(A.Data, Output.Data, Width);
    }

    private Span<T> SoftmaxValues()
    {
        var p = Scratch(ref _softmax, Output.Length);
        TensorPrimitives.Exp(Output.Data, p);
        return p;
    }

    internal override void Backward()
    {
        if (!A.RequiresGrad)
        {
            return;
        }
        var p = SoftmaxValues();
        var dy = Output.Grad;
        var dx = A.Grad;
        var w = Width;
        for (var r = 0; r < dy.Length / w; r++)
        {
            var rowDy = dy.Slice(r * w, w);
            var total = TensorPrimitives.Sum<T>(rowDy);
            var rowDx = dx.Slice(r * w, w);
            TensorPrimitives.Add(rowDx, rowDy, rowDx);
            TensorPrimitives.MultiplyAdd(p.Slice(r * w, w), -total, rowDx, rowDx);
        }
    }

    internal override void ForwardTangent()
    {
        var p = SoftmaxValues();
        var tx = A.Tangent;
        var ty = Output.Tangent;
        var w = Width;
        for (var r = 0; r < tx.Length / w; r++)
        {
            var rowTx = tx.Slice(r * w, w);
            var mean = TensorPrimitives.Dot<T>(p.Slice(r * w, w), rowTx);
            TensorPrimitives.Subtract(rowTx, mean, ty.Slice(r * w, w));
        }
    }
}

/// <summary>softmax over the last axis. VJP: dx = y∘(dy − Σ dy∘y); JVP: ty = y∘(tx − Σ y∘tx).</summary>
public sealed class SoftmaxNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "softmax";

    private int Width => A.Shape[^1];

    internal override void Forward()
    {
        Softmax.LogSoftmaxRows(A.Data, Output.Data, Width);
        TensorPrimitives.Exp(Output.Data, Output.Data); // softmax = exp(log softmax)
    }

    internal override void Backward()
    {
        if (A.RequiresGrad)
        {
            Apply(Output.Grad, A.Grad, accumulate: true);
        }
    }

    internal override void ForwardTangent() => Apply(A.Tangent, Output.Tangent, accumulate: false);

    /// <summary>The softmax Jacobian (symmetric) applied to v: y∘(v − Σ y∘v).</summary>
    private void Apply(ReadOnlySpan<T> v, Span<T> destination, bool accumulate)
    {
        var y = Output.Data;
        var w = Width;
        for (var r = 0; r < y.Length / w; r++)
        {
            var rowY = y.Slice(r * w, w);
            var rowV = v.Slice(r * w, w);
            var dot = TensorPrimitives.Dot<T>(rowY, rowV);
            var dst = destination.Slice(r * w, w);
            for (var i = 0; i < w; i++)
            {
                var value = rowY[i] * (rowV[i] - dot);
                dst[i] = accumulate ? dst[i] + value : value;
            }
        }
    }
}

/// <summary>Softmax helpers shared by the softmax nodes and the fused cross-entropy.</summary>
public static class Softmax
{
    /// <summary>Each row of width <paramref name="width"/> of <paramref name="x"/>, minus its log-sum-exp.</summary>
    public static void LogSoftmaxRows<T>(ReadOnlySpan<T> x, Span<T> destination, int width) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (var r = 0; r < x.Length / width; r++)
        {
            var row = x.Slice(r * width, width);
            TensorPrimitives.Subtract(row, LogSumExp(row), destination.Slice(r * width, width));
        }
    }

    /// <summary>log Σ exp(x), computed as max + log Σ exp(x − max) so it never overflows.</summary>
    public static T LogSumExp<T>(ReadOnlySpan<T> x) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var max = TensorPrimitives.Max(x);
        var sum = T.Zero;
        for (var i = 0; i < x.Length; i++)
        {
            sum += T.Exp(x[i] - max);
        }
        return max + T.Log(sum);
    }
}
