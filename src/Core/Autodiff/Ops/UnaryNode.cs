using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>
/// An elementwise function y = f(x). A subclass states f and its local derivative f'(x); both
/// modes follow from that one rule: reverse mode adds dy·f'(x) to dx, forward mode sets ty = f'(x)·tx.
/// </summary>
public abstract class UnaryNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private T[]? _derivative;

    protected abstract void Apply(ReadOnlySpan<T> x, Span<T> y);

    /// <summary>Writes f'(x) into <paramref name="d"/>; <paramref name="y"/> = f(x) is there to reuse.</summary>
    protected abstract void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d);

    internal override void Forward() => Apply(A.Data, Output.Data);

    internal override void Backward()
    {
        if (!A.RequiresGrad)
        {
            return;
        }
        var d = Scratch(ref _derivative, A.Length);
        Derivative(A.Data, Output.Data, d);
        var dx = A.Grad;
        TensorPrimitives.MultiplyAdd(Output.Grad, d, dx, dx);
    }

    internal override void ForwardTangent()
    {
        if (!A.HasTangent)
        {
            Output.Tangent.Clear();
            return;
        }
        var d = Scratch(ref _derivative, A.Length);
        Derivative(A.Data, Output.Data, d);
        TensorPrimitives.Multiply(A.Tangent, d, Output.Tangent);
    }
}
