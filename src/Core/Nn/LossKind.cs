namespace DistTrain.Core.Nn;

public enum LossKind
{
    /// <summary>Softmax cross-entropy from logits (log-sum-exp, numerically stable).</summary>
    CrossEntropy,

    /// <summary>Σ (a − y)² per sample.</summary>
    SquaredError,

    /// <summary>Σ |a − y| per sample.</summary>
    AbsoluteError,

    /// <summary>Σ huber_δ(a − y) per sample.</summary>
    Huber,

    /// <summary>Σ_i max(0, δ − b_i a_i), b_i = +1 for the true class, −1 otherwise.</summary>
    Hinge,
}
