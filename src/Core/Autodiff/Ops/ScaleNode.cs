using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Autodiff.Ops;

/// <summary>y = s·x for a constant s (how Mean and scalar factors are composed).</summary>
public sealed class ScaleNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Factor { get; internal set; }
    public override string Name => "×" + Factor;
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Multiply(x, Factor, y);
    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => d.Fill(Factor);
}
