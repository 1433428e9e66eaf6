using DistTrain.Core.Data;
using DistTrain.Core.Nn;

namespace DistTrain.Core.Training;

/// <summary>What to train: the network and the loss (with its δ for Huber and hinge).</summary>
public sealed record ModelSpec(NetworkSpec Network, LossKind Loss = LossKind.CrossEntropy, float HuberDelta = 1f, float HingeMargin = 1f)
{
    /// <summary>Throws with a message naming what does not fit the dataset.</summary>
    public void ValidateFor(Dataset data)
    {
        if (Network.InputSize != data.FeatureCount)
        {
            throw new ArgumentException(
                $"The network {Network} takes {Network.InputSize} inputs, but dataset '{data.Name}' has {data.FeatureCount} features per sample.");
        }
        if (data.IsClassification && Network.OutputSize < data.ClassCount)
        {
            throw new ArgumentException(
                $"The network {Network} has {Network.OutputSize} outputs, but dataset '{data.Name}' has {data.ClassCount} classes.");
        }
        if (!data.IsClassification)
        {
            if (Loss is LossKind.CrossEntropy or LossKind.Hinge)
            {
                throw new ArgumentException($"The {Loss} loss needs class labels; dataset '{data.Name}' has regression targets.");
            }
            if (Network.OutputSize != data.TargetWidth)
            {
                throw new ArgumentException(
                    $"The network {Network} has {Network.OutputSize} outputs, but dataset '{data.Name}' has {data.TargetWidth} targets per sample.");
            }
        }
        if (Loss == LossKind.Huber && !(HuberDelta > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HuberDelta), $"Huber's δ must be positive; got {HuberDelta}.");
        }
        if (Loss == LossKind.Hinge && !(HingeMargin > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(HingeMargin), $"The hinge margin must be positive; got {HingeMargin}.");
        }
    }

    /// <summary>The name <see cref="ParseLoss"/> reads back: "cross-entropy", "squared", "absolute", "huber", "hinge".</summary>
    public static string LossName(LossKind loss) => loss switch
    {
        LossKind.CrossEntropy => "cross-entropy",
        LossKind.SquaredError => "squared",
        LossKind.AbsoluteError => "absolute",
        LossKind.Huber => "huber",
        LossKind.Hinge => "hinge",
        _ => throw new ArgumentOutOfRangeException(nameof(loss), loss, "Unknown loss."),
    };

    /// <summary>Parses "cross-entropy", "squared", "absolute", "huber" or "hinge".</summary>
    public static LossKind ParseLoss(string text) => text.Trim().ToLowerInvariant() switch
    {
        "cross-entropy" or "crossentropy" or "ce" or "xent" => LossKind.CrossEntropy,
        "squared" or "mse" or "squared-error" or "squarederror" => LossKind.SquaredError,
        "absolute" or "mae" or "absolute-error" or "absoluteerror" => LossKind.AbsoluteError,
        "huber" => LossKind.Huber,
        "hinge" => LossKind.Hinge,
        _ => throw new FormatException($"Unknown loss '{text}'; expected cross-entropy, squared, absolute, huber or hinge."),
    };
}
