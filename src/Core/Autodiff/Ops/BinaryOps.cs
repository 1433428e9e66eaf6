using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Autodiff.Ops;

// The elementwise binary primitives. Subtraction and division are composed from these
// (a - b = a + (-b), a / b = a · (1/b)): fewer rules, fewer bugs.

public sealed class AddNode<T> : BinaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "+";
    protected override void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Add(a, b, y);
    protected override void Partial(bool forA, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> y, Span<T> d) => d.Fill(T.One);
}

public sealed class MulNode<T> : BinaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "*";
    protected override void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Multiply(a, b, y);

    // The "gate" rule: z = x·y gives dx = y·dz and dy = x·dz.
    protected override void Partial(bool forA, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> y, Span<T> d) =>
        (forA ? b : a).CopyTo(d);
}

/// <summary>Elementwise maximum. At a tie the whole gradient goes to the first argument.</summary>
public sealed class MaxNode<T> : BinaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "max";
    protected override void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Max(a, b, y);

    protected override void Partial(bool forA, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> y, Span<T> d)
    {
        for (var i = 0; i < d.Length; i++)
        {
            var aWins = a[i] >= b[i];
            d[i] = aWins == forA ? T.One : T.Zero;
        }
    }
}

/// <summary>Elementwise minimum. At a tie the whole gradient goes to the first argument.</summary>
public sealed class MinNode<T> : BinaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "min";
    protected override void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y) => TensorPrimitives.Min(a, b, y);

    protected override void Partial(bool forA, ReadOnlySpan<T> a, ReadOnlySpan<T> b, ReadOnlySpan<T> y, Span<T> d)
    {
        for (var i = 0; i < d.Length; i++)
        {
            var aWins = a[i] <= b[i];
            d[i] = aWins == forA ? T.One : T.Zero;
        }
    }
}
