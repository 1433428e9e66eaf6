namespace DistTrain.Core.Data;

/// <summary>
/// An in-memory dataset: one row of features per sample plus either a class label
/// (classification) or a row of float targets (regression). The arrays are exposed directly,
/// without copies, because they are large and the training loop reads them on every batch;
/// treat them as read-only.
/// </summary>
public sealed class Dataset
{
    /// <summary>A classification dataset: one label in [0, <paramref name="classCount"/>) per sample.</summary>
    public Dataset(string name, float[] features, int[] featureShape, int[] labels, int classCount)
        : this(name, features, featureShape, labels, classCount, [], 0)
    {
    }

    /// <summary>A regression dataset: <paramref name="targetWidth"/> float targets per sample.</summary>
    public Dataset(string name, float[] features, int[] featureShape, float[] targets, int targetWidth)
        : this(name, features, featureShape, [], 0, targets, targetWidth)
    {
    }

    private Dataset(string name, float[] features, int[] featureShape, int[] labels, int classCount, float[] targets, int targetWidth)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(featureShape);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentNullException.ThrowIfNull(targets);

        bool classification = targetWidth == 0;
        if (classification)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        }
        else
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetWidth);
        }

        int featureCount = FeatureCountOf(name, featureShape);
        int count = classification ? labels.Length : targets.Length / targetWidth;
        if (!classification && targets.Length % targetWidth != 0)
        {
            throw new ArgumentException(
                $"dataset '{name}': {targets.Length} targets are not a whole number of rows of width {targetWidth}", nameof(targets));
        }

        if ((long)count * featureCount != features.Length)
        {
            throw new ArgumentException(
                $"dataset '{name}': {features.Length} feature values do not match {count} samples of {featureCount} features",
                nameof(features));
        }

        for (int i = 0; i < labels.Length; i++)
        {
            if ((uint)labels[i] >= (uint)classCount)
            {
                throw new ArgumentException(
                    $"dataset '{name}': label {labels[i]} of sample {i} is outside [0, {classCount})", nameof(labels));
            }
        }

        Name = name;
        Count = count;
        FeatureCount = featureCount;
        ClassCount = classCount;
        Features = features;
        Labels = labels;
        Targets = targets;
        TargetWidth = targetWidth;
        // Copied so that the caller's array cannot change the shape behind the feature buffer.
        FeatureShape = (int[])featureShape.Clone();
    }

    public string Name { get; }

    public int Count { get; }

    /// <summary>Values per sample: the product of <see cref="FeatureShape"/>.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of classes; 0 for a regression dataset.</summary>
    public int ClassCount { get; }

    public bool IsClassification => ClassCount > 0;

    /// <summary><see cref="Count"/> × <see cref="FeatureCount"/> values, row-major.</summary>
    public float[] Features { get; }

    /// <summary>One class index per sample; empty for regression.</summary>
    public int[] Labels { get; }

    /// <summary><see cref="Count"/> × <see cref="TargetWidth"/> values, row-major; empty for classification.</summary>
    public float[] Targets { get; }

    /// <summary>Targets per sample; 0 for classification.</summary>
    public int TargetWidth { get; }

    /// <summary>The shape of one sample, e.g. [28, 28] for an MNIST image or [d] for a CSV row.</summary>
    public int[] FeatureShape { get; }

    /// <summary>A copy of the first <paramref name="count"/> samples.</summary>
    public Dataset Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Count);
        float[] features = Features.AsSpan(0, count * FeatureCount).ToArray();
        return IsClassification
            ? new Dataset(Name, features, FeatureShape, Labels.AsSpan(0, count).ToArray(), ClassCount)
            : new Dataset(Name, features, FeatureShape, Targets.AsSpan(0, count * TargetWidth).ToArray(), TargetWidth);
    }

    public override string ToString() =>
        $"{Name}: {Count} samples of [{string.Join("x", FeatureShape)}], " +
        (IsClassification ? $"{ClassCount} classes" : $"{TargetWidth} targets");

    private static int FeatureCountOf(string name, int[] featureShape)
    {
        if (featureShape.Length == 0)
        {
            throw new ArgumentException($"dataset '{name}': the feature shape needs at least one dimension", nameof(featureShape));
        }

        long product = 1;
        foreach (int size in featureShape)
        {
            if (size <= 0)
            {
                throw new ArgumentException(
                    $"dataset '{name}': feature shape [{string.Join(", ", featureShape)}] has a non-positive size", nameof(featureShape));
            }

            product *= size;
            if (product > Array.MaxLength)
            {
                throw new ArgumentException($"dataset '{name}': feature shape is too large", nameof(featureShape));
            }
        }

        return (int)product;
    }
}
