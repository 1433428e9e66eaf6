using System.Numerics;

namespace DistTrain.Core.Autodiff;

/// <summary>
/// Makes define-by-run training allocation-free: inside <see cref="BeginStep"/>, the n-th operation
/// of a step reuses the node (and the output buffer) of the n-th operation of the previous step.
/// </summary>
/// <remarks>
/// A training loop builds the same graph every step, so after the first step nothing new is
/// allocated. The price: a tensor produced inside a step is overwritten by the next step; copy what
/// you want to keep. Recycling is per thread, so data-parallel replicas each keep their own.
/// </remarks>
public sealed class GraphRecycler<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    private readonly List<Node<T>> _nodes = [];
    private int _position;

    /// <summary>Starts a step on this thread; dispose the result to end it.</summary>
    public StepScope BeginStep()
    {
        var previous = Graph<T>.Recycler;
        Graph<T>.Recycler = this;
        _position = 0;
        return new StepScope(previous);
    }

    internal TNode Rent<TNode>() where TNode : Node<T>, new()
    {
        if (_position < _nodes.Count && _nodes[_position] is TNode same)
        {
            _position++;
            return same;
        }
        var node = new TNode();
        if (_position < _nodes.Count)
        {
            _nodes[_position] = node; // the graph changed shape: forget the old node here
        }
        else
        {
            _nodes.Add(node);
        }
        _position++;
        return node;
    }

    /// <summary>Ends a step and restores whatever recycler (if any) was active before.</summary>
    public readonly struct StepScope(GraphRecycler<T>? previous) : IDisposable
    {
        public void Dispose() => Graph<T>.Recycler = previous;
    }
}
