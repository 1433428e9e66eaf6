using System.Diagnostics.CodeAnalysis;

namespace DistTrain.Core.Data;

/// <summary>
/// Copies the samples of one batch into caller-owned buffers. Allocation-free, so the training loop
/// can reuse its batch buffers every step. Buffers may be longer than the batch: only the first
/// <c>indices.Length</c> rows are written (handy for a short last batch).
/// </summary>
public static class BatchGather
{
    /// <summary>Gathers features and class labels of a classification dataset.</summary>
    public static void Gather(Dataset data, ReadOnlySpan<int> indices, Span<float> features, Span<int> labels)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (!data.IsClassification)
        {
            throw new ArgumentException($"dataset '{data.Name}' is a regression dataset; gather its targets instead", nameof(data));
        }

        CheckLength(features.Length, (long)indices.Length * data.FeatureCount, nameof(features));
        CheckLength(labels.Length, indices.Length, nameof(labels));
        ReadOnlySpan<int> sourceLabels = data.Labels;
        for (int row = 0; row < indices.Length; row++)
        {
            int sample = CheckIndex(data, indices, row);
            CopyRow(data.Features, data.FeatureCount, sample, features, row);
            labels[row] = sourceLabels[sample];
        }
    }

    /// <summary>Gathers features and targets of a regression dataset.</summary>
    public static void Gather(Dataset data, ReadOnlySpan<int> indices, Span<float> features, Span<float> targets)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.IsClassification)
        {
            throw new ArgumentException($"dataset '{data.Name}' is a classification dataset; gather its labels instead", nameof(data));
        }

        CheckLength(features.Length, (long)indices.Length * data.FeatureCount, nameof(features));
        CheckLength(targets.Length, (long)indices.Length * data.TargetWidth, nameof(targets));
        for (int row = 0; row < indices.Length; row++)
        {
            int sample = CheckIndex(data, indices, row);
            CopyRow(data.Features, data.FeatureCount, sample, features, row);
            CopyRow(data.Targets, data.TargetWidth, sample, targets, row);
        }
    }

    private static void CopyRow(ReadOnlySpan<float> source, int width, int sample, Span<float> destination, int row) =>
        source.Slice(sample * width, width).CopyTo(destination.Slice(row * width, width));

    private static int CheckIndex(Dataset data, ReadOnlySpan<int> indices, int row)
    {
        int sample = indices[row];
        if ((uint)sample >= (uint)data.Count)
        {
            ThrowIndex(data, row, sample);
        }

        return sample;
    }

    private static void CheckLength(int length, long needed, string name)
    {
        if (length < needed)
        {
            ThrowLength(length, needed, name);
        }
    }

    // Throw helpers keep the message formatting (and its allocations) out of the copy loop.
    [DoesNotReturn]
    private static void ThrowIndex(Dataset data, int row, int sample) =>
        throw new ArgumentOutOfRangeException(
            "indices", sample, $"index {row} of the batch is {sample}, outside dataset '{data.Name}' of {data.Count} samples");

    [DoesNotReturn]
    private static void ThrowLength(int length, long needed, string name) =>
        throw new ArgumentException($"buffer holds {length} values, the batch needs {needed}", name);
}
