using System.Numerics;

namespace DistTrain.Core.Autodiff;

public sealed partial class Tensor<T>
{
    [ThreadStatic]
    private static List<Tensor<T>>? t_order;

    [ThreadStatic]
    private static Stack<(Tensor<T> Tensor, bool Expanded)>? t_stack;

    private static int s_nextStamp;

    /// <summary>Reverse-mode differentiation of a one-element tensor: dThis/dThis = 1, then every
    /// node in reverse topological order adds its inputs' share into their <see cref="Grad"/>.</summary>
    public void Backward()
    {
        if (Length != 1)
        {
            throw new InvalidOperationException(
                $"Backward() needs a one-element tensor (a loss); this one has shape {ShapeText}. Pass a seed gradient for other shapes.");
        }
        Span<T> one = stackalloc T[1];
        one[0] = T.One;
        Backward(one);
    }

    /// <summary>Reverse mode with a given seed dL/dThis: computes the vector-Jacobian product.</summary>
    public void Backward(ReadOnlySpan<T> seed)
    {
        if (seed.Length != Length)
        {
            throw new ArgumentException($"The seed has {seed.Length} elements; the tensor {ShapeText} has {Length}.");
        }
        var order = TopologicalOrder();
        // Results of operations start from zero (they may be recycled buffers of the previous step);
        // leaves accumulate across calls until ZeroGrad, as in micrograd.
        foreach (var t in order)
        {
            if (t.Creator is not null)
            {
                t.Grad.Clear();
            }
        }
        var grad = Grad;
        for (var i = 0; i < seed.Length; i++)
        {
            grad[i] += seed[i];
        }
        for (var i = order.Count - 1; i >= 0; i--)
        {
            order[i].Creator?.Backward();
        }
    }

    /// <summary>The tensors this one depends on through recorded nodes, each after its inputs.
    /// Iterative (deep graphs must not overflow the stack) and allocation-free after the first call.</summary>
    internal List<Tensor<T>> TopologicalOrder()
    {
        var order = t_order ??= [];
        var stack = t_stack ??= new();
        order.Clear();
        var stamp = Interlocked.Increment(ref s_nextStamp);
        stack.Push((this, false));
        while (stack.Count > 0)
        {
            var (t, expanded) = stack.Pop();
            if (expanded)
            {
                order.Add(t);
                continue;
            }
            if (t.VisitStamp == stamp)
            {
                continue;
            }
            t.VisitStamp = stamp;
            stack.Push((t, true));
            if (t.Creator is { } node)
            {
                if (node.C is { } c && c.VisitStamp != stamp)
                {
                    stack.Push((c, false));
                }
                if (node.B is { } b && b.VisitStamp != stamp)
                {
                    stack.Push((b, false));
                }
                if (node.A is { } a && a.VisitStamp != stamp)
                {
                    stack.Push((a, false));
                }
            }
        }
        return order;
    }
}
