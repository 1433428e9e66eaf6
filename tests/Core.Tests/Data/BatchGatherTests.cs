using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

public sealed class BatchGatherTests
{
    // Sample i has features [10i, 10i+1, 10i+2] and label i % 3.
    private static Dataset Classification(int count = 5) => new(
        "toy",
        Enumerable.Range(0, count).SelectMany(i => new float[] { 10 * i, 10 * i + 1, 10 * i + 2 }).ToArray(),
        [3],
        Enumerable.Range(0, count).Select(i => i % 3).ToArray(),
        classCount: 3);

    private static Dataset Regression() => new("reg", [0, 1, 10, 11, 20, 21], [2], [0.5f, -0.5f, 1.5f, -1.5f, 2.5f, -2.5f], targetWidth: 2);

    [Fact]
    public void Gather_CopiesChosenRowsAndLabels()
    {
        var features = new float[9];
        var labels = new int[3];

        BatchGather.Gather(Classification(), [4, 0, 2], features, labels);

        Assert.Equal([40f, 41, 42, 0, 1, 2, 20, 21, 22], features);
        Assert.Equal([1, 0, 2], labels);
    }

    [Fact]
    public void Gather_LongerBuffers_FillsOnlyTheBatchPrefix()
    {
        var features = new float[12];
        var labels = new int[4];
        Array.Fill(features, -1f);

        BatchGather.Gather(Classification(), [1], features, labels);

        Assert.Equal([10f, 11, 12, -1, -1, -1], features[..6]);
        Assert.Equal(1, labels[0]);
    }

    [Fact]
    public void Gather_Regression_CopiesTargets()
    {
        var features = new float[4];
        var targets = new float[4];

        BatchGather.Gather(Regression(), [2, 1], features, targets);

        Assert.Equal([20f, 21, 10, 11], features);
        Assert.Equal([2.5f, -2.5f, 1.5f, -1.5f], targets);
    }

    [Fact]
    public void Gather_IndexOutOfRange_Throws()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(
            () => BatchGather.Gather(Classification(), [0, 5], new float[6], new int[2]));

        Assert.Contains("index 1 of the batch is 5", e.Message);
    }

    [Fact]
    public void Gather_BufferTooShort_Throws()
    {
        var e = Assert.Throws<ArgumentException>(
            () => BatchGather.Gather(Classification(), [0, 1], new float[5], new int[2]));

        Assert.Equal("features", e.ParamName);
    }

    [Fact]
    public void Gather_WrongTaskOverload_Throws()
    {
        Assert.Throws<ArgumentException>(() => BatchGather.Gather(Regression(), [0], new float[2], new int[1]));
        Assert.Throws<ArgumentException>(() => BatchGather.Gather(Classification(), [0], new float[3], new float[1]));
    }

    [Fact]
    public void Gather_WarmedCall_AllocatesNothing()
    {
        Dataset data = Classification(100);
        Dataset regression = Regression();
        int[] indices = [99, 3, 50, 7];
        var features = new float[indices.Length * 3];
        var labels = new int[indices.Length];
        var regressionFeatures = new float[4];
        var targets = new float[4];
        int[] regressionIndices = [2, 0];
        BatchGather.Gather(data, indices, features, labels);
        BatchGather.Gather(regression, regressionIndices, regressionFeatures, targets);

        long before = GC.GetAllocatedBytesForCurrentThread();
        BatchGather.Gather(data, indices, features, labels);
        BatchGather.Gather(regression, regressionIndices, regressionFeatures, targets);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal([990f, 991, 992], features[..3]);
    }
}
