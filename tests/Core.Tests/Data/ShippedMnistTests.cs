using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

/// <summary>Loads the real MNIST once for the whole class: it is 60,000 images.</summary>
public sealed class ShippedMnistFixture
{
    public ShippedMnistFixture()
    {
        Directory = DatasetLocator.FindShippedMnist();
        (Train, Test) = MnistLoader.Load(Directory, verifyChecksums: true);
    }

    public string Directory { get; }

    public Dataset Train { get; }

    public Dataset Test { get; }
}

public sealed class ShippedMnistTests(ShippedMnistFixture mnist) : IClassFixture<ShippedMnistFixture>
{
    [Fact]
    public void Load_ShippedFiles_HaveMnistShape()
    {
        Assert.Equal(60000, mnist.Train.Count);
        Assert.Equal(10000, mnist.Test.Count);
        Assert.Equal(784, mnist.Train.FeatureCount);
        Assert.Equal([28, 28], mnist.Train.FeatureShape);
        Assert.Equal(10, mnist.Train.ClassCount);
        Assert.Equal(60000 * 784, mnist.Train.Features.Length);
    }

    [Fact]
    public void Load_ShippedFiles_PixelsSpanZeroToOne()
    {
        Assert.Equal(0f, mnist.Train.Features.Min());
        Assert.Equal(1f, mnist.Train.Features.Max());
        Assert.Equal(0f, mnist.Test.Features.Min());
        Assert.Equal(1f, mnist.Test.Features.Max());
    }

    [Fact]
    public void Load_ShippedFiles_HaveKnownLabels()
    {
        // The well-known first digits of each split.
        Assert.Equal([5, 0, 4, 1, 9], mnist.Train.Labels[..5]);
        Assert.Equal([7, 2, 1, 0, 4], mnist.Test.Labels[..5]);
        Assert.Equal(Enumerable.Range(0, 10), mnist.Train.Labels.Distinct().Order());
    }

    [Fact]
    public void Verify_ShippedChecksums_CoverAllFourFiles()
    {
        IReadOnlyList<string> verified = Checksums.Verify(mnist.Directory);

        Assert.Equal(4, verified.Count);
    }

    [Fact]
    public void FindShippedMnist_ReturnsDirectoryWithSums()
    {
        Assert.True(File.Exists(Path.Combine(mnist.Directory, Checksums.FileName)));
        Assert.Equal("mnist", Path.GetFileName(mnist.Directory));
    }

    [Fact]
    public void Load_CopyWithCorruptedSumsLine_FailsNamingTheFile()
    {
        using var copy = new TempDirectory();
        foreach (string file in Directory.GetFiles(mnist.Directory))
        {
            File.Copy(file, copy.File(Path.GetFileName(file)));
        }

        string sums = copy.File(Checksums.FileName);
        string[] lines = File.ReadAllLines(sums);
        int target = Array.FindIndex(lines, l => l.EndsWith("t10k-labels-idx1-ubyte.gz", StringComparison.Ordinal));
        lines[target] = (lines[target][0] == 'f' ? "e" : "f") + lines[target][1..];
        File.WriteAllLines(sums, lines);

        var e = Assert.Throws<DatasetException>(() => MnistLoader.Load(copy.Path));

        Assert.StartsWith(copy.File("t10k-labels-idx1-ubyte.gz") + ": SHA-256 mismatch", e.Message);
    }
}
