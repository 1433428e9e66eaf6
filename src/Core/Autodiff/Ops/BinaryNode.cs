using System.Numerics;
using System.Numerics.Tensors;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>
/// An elementwise function y = f(a, b) with broadcasting. A subclass states f and its two partial
/// derivatives on equal-length spans; this class stretches broadcast inputs to the output's shape
/// first and sums their gradients back to the inputs' shapes afterwards.
/// </summary>
public abstract class BinaryNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[]? _expandedA;
    private T[]? _expandedB;
    private T[]? _partial;

    protected abstract void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y);

    /// <summary>Writes ∂y/∂a (when <paramref name="forA"/>) or ∂y/∂b elementwise into <paramref name="d"/>.</summary>
    protected abstract void Partial(bool forA, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> y, Span<T> d);

    internal override void Forward() => Apply(ExpandedA(), ExpandedB(), Output.Data);

    internal override void Backward()
    {
        if (A.RequiresGrad)
        {
            BackwardInto(forA: true, A);
        }
        if (B!.RequiresGrad)
        {
            BackwardInto(forA: false, B);
        }
    }

    private void BackwardInto(bool forA, Tensor<T> input)
    {
        var d = Scratch(ref _partial, Output.Length);
        Partial(forA, ExpandedA(), ExpandedB(), Output.Data, d);
        TensorPrimitives.Multiply(d, Output.Grad, d);
        Broadcast.SumInto<T>(d, Output.Shape, input.Grad, input.Shape);
    }

    internal override void ForwardTangent()
    {
        var ty = Output.Tangent;
        ty.Clear();
        var d = Scratch(ref _partial, Output.Length);
        foreach (var (input, forA) in new[] { (A, true), (B!, false) })
        {
            if (!input.HasTangent)
            {
                continue;
            }
            Partial(forA, ExpandedA(), ExpandedB(), Output.Data, d);
            var t = new T[Output.Length];
            Broadcast.Expand<T>(input.Tangent, input.Shape, Output.Shape, t);
            TensorPrimitives.MultiplyAdd(d, t, ty, ty);
        }
    }

    /// <summary>Input A at the output's shape: the data itself when no stretching is needed.</summary>
    private ReadOnlySpan<T> ExpandedA() => Expanded(A, ref _expandedA);

    private ReadOnlySpan<T> ExpandedB() => Expanded(B!, ref _expandedB);

    private ReadOnlySpan<T> Expanded(Tensor<T> input, ref T[]? buffer)
    {
        if (input.Length == Output.Length)
        {
            return input.Data;
        }
        var full = Scratch(ref buffer, Output.Length);
        Broadcast.Expand<T>(input.Data, input.Shape, Output.Shape, full);
        return full;
    }
}
