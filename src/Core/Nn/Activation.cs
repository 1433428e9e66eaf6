using System.Numerics;
using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Nn;

public static class Activation
{
    public static Tensor<T> Apply<T>(ActivationKind kind, Tensor<T> z) where T : unmanaged, IFloatingPointIeee754<T> => kind switch
    {
        ActivationKind.ReLU => z.Relu(),
        ActivationKind.Sigmoid => z.Sigmoid(),
        ActivationKind.Tanh => z.Tanh(),
        ActivationKind.Identity => z,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown activation."),
    };

    /// <summary>Parses "relu", "sigmoid", "tanh" or "identity" (any case).</summary>
    public static ActivationKind Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "relu" => ActivationKind.ReLU,
        "sigmoid" => ActivationKind.Sigmoid,
        "tanh" => ActivationKind.Tanh,
        "identity" or "linear" or "none" => ActivationKind.Identity,
        _ => throw new FormatException($"Unknown activation '{text}'; expected relu, sigmoid, tanh or identity."),
    };
}
