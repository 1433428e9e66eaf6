using System.Numerics;
using DistTrain.Core.Autodiff.Ops;
using DistTrain.Core.Kernels;

namespace DistTrain.Core.Autodiff;

// The operations a user calls. Each checks its shapes, picks (or recycles) a node and runs it;
// the rules themselves live in Ops/. Composed operations are written in terms of the primitives.
public sealed partial class Tensor<T>
{
    // ---- elementwise primitives -------------------------------------------------------------

    public Tensor<T> Neg() => Unary<NegNode<T>>();
    public Tensor<T> Exp() => Unary<ExpNode<T>>();
    public Tensor<T> Log() => Unary<LogNode<T>>();
    public Tensor<T> Sin() => Unary<SinNode<T>>();
    public Tensor<T> Cos() => Unary<CosNode<T>>();
    public Tensor<T> Tanh() => Unary<TanhNode<T>>();
    public Tensor<T> Sigmoid() => Unary<SigmoidNode<T>>();
    public Tensor<T> Relu() => Unary<ReluNode<T>>();
    public Tensor<T> Abs() => Unary<AbsNode<T>>();
    public Tensor<T> Sqrt() => Unary<SqrtNode<T>>();
    public Tensor<T> Reciprocal() => Unary<ReciprocalNode<T>>();

    public Tensor<T> Pow(T exponent)
    {
        var node = Graph<T>.NewNode<PowNode<T>>();
        node.Exponent = exponent;
        return Graph<T>.Run(node, this, null, _shape);
    }

    public Tensor<T> Scale(T factor)
    {
        var node = Graph<T>.NewNode<ScaleNode<T>>();
        node.Factor = factor;
        return Graph<T>.Run(node, this, null, _shape);
    }

    public Tensor<T> Add(Tensor<T> other) => Binary<AddNode<T>>(other, "Add");
    public Tensor<T> Mul(Tensor<T> other) => Binary<MulNode<T>>(other, "Mul");
    public Tensor<T> Max(Tensor<T> other) => Binary<MaxNode<T>>(other, "Max");
    public Tensor<T> Min(Tensor<T> other) => Binary<MinNode<T>>(other, "Min");

    // ---- composed elementwise ---------------------------------------------------------------

    public Tensor<T> Sub(Tensor<T> other) => Add(other.Neg());
    public Tensor<T> Div(Tensor<T> other) => Mul(other.Reciprocal());

    /// <summary>A scalar constant to combine with this tensor (recycled inside a training step).</summary>
    public static Tensor<T> Constant(T value)
    {
        var c = Graph<T>.Constant([]);
        c.Data[0] = value;
        return c;
    }

    // ---- matrices -----------------------------------------------------------------------------

    public Tensor<T> MatMul(Tensor<T> other)
    {
        if (Rank != 2 || other.Rank != 2 || Shape[1] != other.Shape[0])
        {
            throw new ArgumentException($"MatMul needs matrices m×k and k×n; got {ShapeText} and {other.ShapeText}.");
        }
        Span<int> shape = [Shape[0], other.Shape[1]];
        return Graph<T>.Run(Graph<T>.NewNode<MatMulNode<T>>(), this, other, shape);
    }

    /// <summary>The fully-connected affine map for a batch: this (n×d) · Wᵀ (W is k×d) + b (k).</summary>
    public Tensor<T> Linear(Tensor<T> weight, Tensor<T> bias)
    {
        if (Rank != 2 || weight.Rank != 2 || weight.Shape[1] != Shape[1] || bias.Rank != 1 || bias.Shape[0] != weight.Shape[0])
        {
            throw new ArgumentException(
                $"Linear needs x n×d, W k×d and b k; got x {ShapeText}, W {weight.ShapeText}, b {bias.ShapeText}.");
        }
        Span<int> shape = [Shape[0], weight.Shape[0]];
        return Graph<T>.Run(Graph<T>.NewNode<LinearNode<T>>(), this, weight, shape, bias);
    }

    public Tensor<T> Transpose()
    {
        if (Rank != 2)
        {
            throw new ArgumentException($"Transpose needs a matrix; got shape {ShapeText}.");
        }
        Span<int> shape = [Shape[1], Shape[0]];
        return Graph<T>.Run(Graph<T>.NewNode<TransposeNode<T>>(), this, null, shape);
    }

    public Tensor<T> Reshape(params int[] shape)
    {
        if (Tensor.ElementCount(shape) != Length)
        {
            throw new ArgumentException($"Cannot reshape {ShapeText} ({Length} elements) to {Tensor.FormatShape(shape)}.");
        }
        return Graph<T>.Run(Graph<T>.NewNode<ReshapeNode<T>>(), this, null, shape);
    }

    // ---- reductions ---------------------------------------------------------------------------

    /// <summary>Sum of all elements (a scalar).</summary>
    public Tensor<T> Sum()
    {
        var node = Graph<T>.NewNode<SumNode<T>>();
        node.Axis = null;
        return Graph<T>.Run(node, this, null, []);
    }

    /// <summary>Sum along <paramref name="axis"/> (negative counts from the end).</summary>
    public Tensor<T> Sum(int axis, bool keepDim = false)
    {
        var a = NormalizeAxis(axis);
        var node = Graph<T>.NewNode<SumNode<T>>();
        node.Axis = a;
        Span<int> shape = stackalloc int[keepDim ? Rank : Rank - 1];
        for (int d = 0, o = 0; d < Rank; d++)
        {
            if (d != a)
            {
                shape[o++] = Shape[d];
            }
            else if (keepDim)
            {
                shape[o++] = 1;
            }
        }
        return Graph<T>.Run(node, this, null, shape);
    }

    public Tensor<T> Mean() => Sum().Scale(T.One / T.CreateChecked(Math.Max(Length, 1)));

    public Tensor<T> Mean(int axis, bool keepDim = false) =>
        Sum(axis, keepDim).Scale(T.One / T.CreateChecked(Shape[NormalizeAxis(axis)]));

    // ---- softmax family (over the last axis) ------------------------------------------------

    public Tensor<T> Softmax() => Graph<T>.Run(Graph<T>.NewNode<SoftmaxNode<T>>(), this, null, _shape);

    public Tensor<T> LogSoftmax() => Graph<T>.Run(Graph<T>.NewNode<LogSoftmaxNode<T>>(), this, null, _shape);

    /// <summary>Mean cross-entropy of softmax(this) against class indices, one per row (fused).</summary>
    public Tensor<T> SoftmaxCrossEntropy(ReadOnlyMemory<int> labels)
    {
        if (Rank != 2 || labels.Length != Shape[0])
        {
            throw new ArgumentException($"Cross-entropy needs logits n×c and n labels; got {ShapeText} and {labels.Length} labels.");
        }
        var node = Graph<T>.NewNode<SoftmaxCrossEntropyNode<T>>();
        node.Labels = labels;
        return Graph<T>.Run(node, this, null, []);
    }

    // ---- plumbing -----------------------------------------------------------------------------

    private Tensor<T> Unary<TNode>() where TNode : UnaryNode<T>, new() =>
        Graph<T>.Run(Graph<T>.NewNode<TNode>(), this, null, _shape);

    private Tensor<T> Binary<TNode>(Tensor<T> other, string operation) where TNode : BinaryNode<T>, new()
    {
        ReadOnlySpan<int> shape = _shape.AsSpan().SequenceEqual(other._shape)
            ? _shape
            : Broadcast.ResultShape(_shape, other._shape, operation);
        return Graph<T>.Run(Graph<T>.NewNode<TNode>(), this, other, shape);
    }

    private int NormalizeAxis(int axis)
    {
        var a = axis < 0 ? axis + Rank : axis;
        if (a < 0 || a >= Rank)
        {
            throw new ArgumentOutOfRangeException(nameof(axis), $"Axis {axis} is out of range for shape {ShapeText}.");
        }
        return a;
    }
}
