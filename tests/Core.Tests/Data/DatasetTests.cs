using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

public sealed class DatasetTests
{
    private static Dataset Classification() =>
        new("toy", [0, 1, 2, 3, 4, 5], [2], [0, 2, 1], classCount: 3);

    [Fact]
    public void Constructor_Classification_DerivesCounts()
    {
        Dataset data = Classification();

        Assert.Equal(3, data.Count);
        Assert.Equal(2, data.FeatureCount);
        Assert.Equal(3, data.ClassCount);
        Assert.True(data.IsClassification);
        Assert.Empty(data.Targets);
        Assert.Equal(0, data.TargetWidth);
    }

    [Fact]
    public void Constructor_Regression_DerivesCounts()
    {
        var data = new Dataset("reg", [1, 2, 3, 4, 5, 6, 7, 8], [2, 2], [0.5f, 1.5f, 2.5f, 3.5f], targetWidth: 2);

        Assert.Equal(2, data.Count);
        Assert.Equal(4, data.FeatureCount);
        Assert.Equal(0, data.ClassCount);
        Assert.False(data.IsClassification);
        Assert.Empty(data.Labels);
    }

    [Fact]
    public void Constructor_FeatureLengthMismatch_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dataset("toy", [0, 1, 2], [2], [0, 1], 2));

        Assert.Equal("features", e.ParamName);
        Assert.Contains("toy", e.Message);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(3)]
    public void Constructor_LabelOutOfRange_NamesSample(int label)
    {
        var e = Assert.Throws<ArgumentException>(() => new Dataset("toy", [0, 1], [1], [0, label], 3));

        Assert.Equal("labels", e.ParamName);
        Assert.Contains($"label {label} of sample 1", e.Message);
    }

    [Fact]
    public void Constructor_TargetsNotWholeRows_Throws()
    {
        var e = Assert.Throws<ArgumentException>(() => new Dataset("reg", [0, 1], [1], [0f, 1f, 2f], targetWidth: 2));

        Assert.Equal("targets", e.ParamName);
    }

    [Fact]
    public void Constructor_BadShapeOrCounts_Throw()
    {
        Assert.Throws<ArgumentException>(() => new Dataset("toy", [], [], [], classCount: 1));
        Assert.Throws<ArgumentException>(() => new Dataset("toy", [], [0], [], classCount: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset("toy", [0], [1], [0], 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Dataset("toy", [0], [1], [0f], -1));
    }

    [Fact]
    public void Constructor_CopiesFeatureShape()
    {
        int[] shape = [2];
        var data = new Dataset("toy", [0, 1], shape, [0], 1);
        shape[0] = 99;

        Assert.Equal([2], data.FeatureShape);
    }

    [Fact]
    public void Take_CopiesFirstSamples()
    {
        Dataset data = Classification();

        Dataset first = data.Take(2);

        Assert.Equal(2, first.Count);
        Assert.Equal([0f, 1, 2, 3], first.Features);
        Assert.Equal([0, 2], first.Labels);
        Assert.Equal(3, first.ClassCount);
        Assert.NotSame(data.Features, first.Features);
    }

    [Fact]
    public void Take_Regression_KeepsTargets()
    {
        var data = new Dataset("reg", [1, 2, 3], [1], [10f, 20f, 30f], targetWidth: 1);

        Dataset first = data.Take(2);

        Assert.Equal([10f, 20f], first.Targets);
        Assert.Equal(1, first.TargetWidth);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(4)]
    public void Take_OutOfRange_Throws(int count)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Classification().Take(count));
    }
}
