using DistTrain.Core.Data;

namespace DistTrain.Worker.Data;

internal static class DatasetSlices
{
    /// <summary>The first <paramref name="count"/> samples (a copy; used for the small test subsets).</summary>
    public static Dataset Head(Dataset data, int count) =>
        new(data.Name, count, data.FeatureCount, data.ClassCount,
            data.Features.AsSpan(0, count * data.FeatureCount).ToArray(),
            data.Labels.AsSpan(0, count).ToArray());
}
