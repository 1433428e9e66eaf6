namespace DistTrain.Core.Nn;

/// <summary>The σ of a fully-connected layer a = σ(b + Wx).</summary>
public enum ActivationKind
{
    ReLU,
    Sigmoid,
    Tanh,
    Identity,
}
