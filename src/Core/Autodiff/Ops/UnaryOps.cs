using System.Numerics;
using System.Numerics.Tensors;

namespace DistTrain.Core.Autodiff.Ops;

// The elementwise primitives: each states f and f' side by side (the table of local derivatives).

public sealed class NegNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "neg";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Negate(x, y);
    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => d.Fill(-T.One);
}

public sealed class ExpNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "exp";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Exp(x, y);
    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => y.CopyTo(d); // (e^x)' = e^x
}

public sealed class LogNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "log";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Log(x, y);
    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Reciprocal(x, d); // 1/x
}

public sealed class SinNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "sin";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sin(x, y);
    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TensorPrimitives.Cos(x, d);
}

public sealed class CosNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "cos";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Cos(x, y);

    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        TensorPrimitives.Sin(x, d);
        TensorPrimitives.Negate(d, d); // -sin x
    }
}

public sealed class TanhNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "tanh";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Tanh(x, y);

    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = T.One - y[i] * y[i]; // 1 - tanh²
        }
    }
}

public sealed class SigmoidNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "sigmoid";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sigmoid(x, y);

    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = y[i] * (T.One - y[i]); // σ(1-σ)
        }
    }
}

/// <summary>max(x, 0). Subgradient at 0: 0 (the unit is off), as in PyTorch.</summary>
public sealed class ReluNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "relu";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Max(x, T.Zero, y);
    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => Kernels.Elementwise.Step(x, d);
}

/// <summary>|x|. Subgradient at 0: 0 (sign(0) = 0).</summary>
public sealed class AbsNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "abs";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Abs(x, y);

    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
        }
    }
}

public sealed class SqrtNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "sqrt";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Sqrt(x, y);

    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        var half = T.One / (T.One + T.One);
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = half / y[i]; // 1 / (2√x)
        }
    }
}

public sealed class ReciprocalNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "1/x";
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Reciprocal(x, y);

    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = -y[i] * y[i]; // -1/x²
        }
    }
}

/// <summary>x^p for a constant exponent p.</summary>
public sealed class PowNode<T> : UnaryNode<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public T Exponent { get; internal set; }
    public override string Name => "pow " + Exponent;
    protected override void Apply(ReadOnlySpan<T> x, Span<T> y) => TensorPrimitives.Pow(x, Exponent, y);

    protected override void Derivative(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d)
    {
        var pm1 = Exponent - T.One;
        for (var i = 0; i < d.Length; i++)
        {
            d[i] = Exponent * T.Pow(x[i], pm1); // p·x^(p-1)
        }
    }
}
