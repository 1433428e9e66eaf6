using System.Numerics;

namespace DistTrain.Core.Autodiff;

/// <summary>Creates graph nodes as operations run (define-by-run).</summary>
internal static class Graph<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    [ThreadStatic]
    private static GraphRecycler<T>? t_recycler;

    internal static GraphRecycler<T>? Recycler
    {
        get => t_recycler;
        set => t_recycler = value;
    }

    /// <summary>A node for the next operation: the one from the same position of the previous step
    /// when a <see cref="GraphRecycler{T}"/> is active, else a new one.</summary>
    internal static TNode NewNode<TNode>() where TNode : Node<T>, new() =>
        t_recycler is { } recycler ? recycler.Rent<TNode>() : new TNode();

    /// <summary>Wires inputs to the node, sizes its output, runs forward (and the tangent rule when a
    /// tangent flows in) and records the node when a gradient is needed.</summary>
    internal static Tensor<T> Run(Node<T> node, Tensor<T> a, Tensor<T>? b, ReadOnlySpan<int> outputShape, Tensor<T>? c = null)
    {
        node.A = a;
        node.B = b;
        node.C = c;
        var y = node.Output ??= new Tensor<T>();
        y.Reshape(outputShape);
        y.Name = null;
        y.RequiresGrad = !NoGradScope.IsActive && (a.RequiresGrad || b is { RequiresGrad: true } || c is { RequiresGrad: true });
        y.Creator = y.RequiresGrad ? node : null;
        node.Forward();
        if (a.HasTangent || b is { HasTangent: true } || c is { HasTangent: true })
        {
            y.EnsureTangent();
            node.ForwardTangent();
        }
        else
        {
            y.ClearTangent();
        }
        return y;
    }

    /// <summary>A constant leaf of the given shape (recycled like nodes); the caller fills its data.</summary>
    internal static Tensor<T> Constant(ReadOnlySpan<int> shape)
    {
        var node = NewNode<ConstantNode<T>>();
        var y = node.Output ??= new Tensor<T>();
        y.Reshape(shape);
        y.Name = null;
        y.RequiresGrad = false;
        y.Creator = null;
        y.ClearTangent();
        return y;
    }
}

/// <summary>Holds a recycled constant; it has no inputs and nothing to differentiate.</summary>
internal sealed class ConstantNode<T> : Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public override string Name => "const";
    internal override void Forward() { }
    internal override void Backward() { }
    internal override void ForwardTangent() { }
}
