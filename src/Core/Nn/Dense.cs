using System.Numerics;
using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Nn;

/// <summary>
/// A fully-connected layer as in the lecture, a = σ(b + W x), applied to a minibatch at once:
/// X holds one sample per row, so A = σ(X·Wᵀ + b) is one matrix product. W (k×d) and b (k) are
/// views into the network's flat parameter vector.
/// </summary>
public sealed class Dense<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    internal Dense(Tensor<T> weight, Tensor<T> bias, ActivationKind activation)
    {
        Weight = weight;
        Bias = bias;
        ActivationKind = activation;
    }

    public Tensor<T> Weight { get; }

    public Tensor<T> Bias { get; }

    public ActivationKind ActivationKind { get; }

    public int InputSize => Weight.Shape[1];

    public int OutputSize => Weight.Shape[0];

    public Tensor<T> Forward(Tensor<T> x) => Activation.Apply(ActivationKind, x.Linear(Weight, Bias));
}
