using System.Numerics;

namespace DistTrain.Core.Autodiff;

/// <summary>
/// One operation in the computation graph: its forward rule, its vector-Jacobian product
/// (reverse mode) and its Jacobian-vector product (forward mode). Every node has at most two
/// tensor inputs, <see cref="A"/> and <see cref="B"/>
/// (the fused linear layer has a third, <see cref="C"/>).
/// </summary>
public abstract class Node<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Short operator name shown by the graph view ("+", "exp", "matmul").</summary>
    public abstract string Name { get; }

    public Tensor<T> A { get; internal set; } = null!;

    public Tensor<T>? B { get; internal set; }

    /// <summary>A third input, for the fused layer y = x·Wᵀ + b only.</summary>
    public Tensor<T>? C { get; internal set; }

    public Tensor<T> Output { get; internal set; } = null!;

    /// <summary>Computes <see cref="Output"/> from the inputs.</summary>
    internal abstract void Forward();

    /// <summary>Adds dLoss/dInput to every input that requires a gradient, given Output.Grad.</summary>
    internal abstract void Backward();

    /// <summary>Computes Output.Tangent from the inputs' tangents (a missing tangent is zero).</summary>
    internal abstract void ForwardTangent();

    /// <summary>Returns a reusable scratch buffer of at least <paramref name="length"/> elements.</summary>
    protected static Span<T> Scratch(ref T[]? buffer, int length)
    {
        if (buffer is null || buffer.Length < length)
        {
            buffer = new T[length];
        }
        return buffer.AsSpan(0, length);
    }
}
