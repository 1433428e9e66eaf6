using System.Numerics;
using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Nn;

/// <summary>
/// The losses, each the mean over the batch (rows) of a per-sample loss summed over the outputs.
/// All but the fused cross-entropy are compositions of primitives, so their gradients come from
/// the primitives' rules; the subgradients at kinks are those of ReLU, |x| and Min (0 at 0; at a
/// tie of Min the first argument).
/// </summary>
public static class Loss
{
    /// <summary>Cross-entropy of softmax(logits) against class indices (fused node).</summary>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, ReadOnlyMemory<int> labels)
        where T : unmanaged, IFloatingPointIeee754<T> => logits.SoftmaxCrossEntropy(labels);

    /// <summary>Cross-entropy against probability vectors: mean_i −Σ_c p_ic log softmax(z_i)_c.</summary>
    public static Tensor<T> CrossEntropy<T>(Tensor<T> logits, Tensor<T> targetProbabilities)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        PerRowMean((targetProbabilities * logits.LogSoftmax()).Neg(), logits);

    /// <summary>mean_i Σ_j (a_ij − y_ij)².</summary>
    public static Tensor<T> SquaredError<T>(Tensor<T> predictions, Tensor<T> targets)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var r = predictions - targets;
        return PerRowMean(r * r, predictions);
    }

    /// <summary>mean_i Σ_j |a_ij − y_ij| (subgradient 0 where a = y).</summary>
    public static Tensor<T> AbsoluteError<T>(Tensor<T> predictions, Tensor<T> targets)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        PerRowMean((predictions - targets).Abs(), predictions);

    /// <summary>
    /// Huber with threshold δ: ½r² for |r| ≤ δ, δ(|r| − ½δ) beyond. Composed as q·(|r| − ½q) with
    /// q = min(|r|, δ): the gradient is r inside and δ·sign(r) outside, continuous at |r| = δ.
    /// </summary>
    public static Tensor<T> Huber<T>(Tensor<T> predictions, Tensor<T> targets, T delta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (!(delta > T.Zero))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), $"Huber's δ must be positive; got {delta}.");
        }
        var r = (predictions - targets).Abs();
        var q = r.Min(Tensor<T>.Constant(delta));
        var half = T.One / (T.One + T.One);
        return PerRowMean(q * (r - q.Scale(half)), predictions);
    }

    /// <summary>
    /// The lecture's multi-class hinge: Σ_i max(0, δ − b_i a_i) with b_i = +1 for the true class
    /// and −1 for the others, so the true score is pushed above δ and the others below −δ. At the
    /// margin (δ = b_i a_i) the subgradient is 0.
    /// </summary>
    public static Tensor<T> Hinge<T>(Tensor<T> scores, ReadOnlySpan<int> labels, T margin)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var signs = Signs(scores, labels);
        return PerRowMean((margin - signs * scores).Relu(), scores);
    }

    /// <summary>One-hot rows for class indices, as a (recycled) constant of shape n×classes.</summary>
    public static Tensor<T> OneHot<T>(ReadOnlySpan<int> labels, int classes)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var t = Graph<T>.Constant([labels.Length, classes]);
        var data = t.Data;
        data.Clear();
        for (var r = 0; r < labels.Length; r++)
        {
            CheckLabel(labels[r], r, classes);
            data[r * classes + labels[r]] = T.One;
        }
        return t;
    }

    private static Tensor<T> Signs<T>(Tensor<T> scores, ReadOnlySpan<int> labels)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (scores.Rank != 2 || scores.Shape[0] != labels.Length)
        {
            throw new ArgumentException($"Hinge needs scores n×c and n labels; got {scores.ShapeText} and {labels.Length} labels.");
        }
        var classes = scores.Shape[1];
        var t = Graph<T>.Constant(scores.Shape);
        var data = t.Data;
        data.Fill(-T.One);
        for (var r = 0; r < labels.Length; r++)
        {
            CheckLabel(labels[r], r, classes);
            data[r * classes + labels[r]] = T.One;
        }
        return t;
    }

    private static void CheckLabel(int label, int row, int classes)
    {
        if ((uint)label >= (uint)classes)
        {
            throw new ArgumentOutOfRangeException(nameof(label), $"Label {label} of row {row} is not a class index in [0, {classes}).");
        }
    }

    /// <summary>Sum over everything divided by the number of rows (samples).</summary>
    private static Tensor<T> PerRowMean<T>(Tensor<T> perElement, Tensor<T> batch)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var rows = batch.Rank == 0 ? 1 : batch.Shape[0];
        return perElement.Sum().Scale(T.One / T.CreateChecked(rows));
    }
}
