using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

/// <summary>The loader on tiny synthetic directories in the MNIST layout; the real files are in <see cref="ShippedMnistTests"/>.</summary>
public sealed class MnistLoaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Load_SyntheticDirectory_BuildsBothSplits(bool gzip)
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [2, 3], trainLabels: [5, 0, 9], testLabels: [1, 2], gzip);

        (Dataset train, Dataset test) = MnistLoader.Load(_dir.Path);

        Assert.Equal(3, train.Count);
        Assert.Equal(2, test.Count);
        Assert.Equal([2, 3], train.FeatureShape);
        Assert.Equal(6, train.FeatureCount);
        Assert.Equal(10, train.ClassCount);
        Assert.Equal([5, 0, 9], train.Labels);
        Assert.Equal([1, 2], test.Labels);
        byte[] pixels = IdxTestFiles.Sequence(18);
        Assert.Equal(pixels.Select(p => p / 255f), train.Features);
    }

    [Fact]
    public void Load_DottedFileNames_AreAccepted()
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [2, 2], [1], [2], gzip: false);
        foreach (string file in Directory.GetFiles(_dir.Path))
        {
            string dotted = Path.GetFileName(file).Replace("-idx", ".idx");
            File.Move(file, _dir.File(dotted));
        }

        (Dataset train, _) = MnistLoader.Load(_dir.Path);

        Assert.Equal([1], train.Labels);
    }

    [Fact]
    public void Load_OtherImageSizeAndInferredClassCount_Works()
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [4, 4, 3], trainLabels: [0, 14, 3], testLabels: [7]);

        (Dataset train, Dataset test) = MnistLoader.Load(_dir.Path, classCount: null);

        Assert.Equal([4, 4, 3], train.FeatureShape);
        Assert.Equal(15, train.ClassCount);
        Assert.Equal(15, test.ClassCount);
    }

    [Fact]
    public void Load_MissingFile_NamesFileAndDirectory()
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [2, 2], [1], [2]);
        File.Delete(_dir.File("t10k-labels-idx1-ubyte.gz"));

        var e = Assert.Throws<DatasetException>(() => MnistLoader.Load(_dir.Path));

        Assert.StartsWith(_dir.Path + ":", e.Message);
        Assert.Contains("missing t10k-labels-idx1-ubyte", e.Message);
    }

    [Fact]
    public void Load_MissingDirectory_Throws()
    {
        string absent = _dir.File("nowhere");

        var e = Assert.Throws<DatasetException>(() => MnistLoader.Load(absent));

        Assert.Contains(absent, e.Message);
    }

    [Fact]
    public void Load_LabelCountDiffersFromImageCount_NamesBothFiles()
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [2, 2], [1, 2, 3], [4]);
        string labels = _dir.File("train-labels-idx1-ubyte.gz");
        IdxTestFiles.Write(labels, IdxTestFiles.Build([2], [1, 2]), gzip: true);

        var e = Assert.Throws<DatasetException>(() => MnistLoader.Load(_dir.Path));

        Assert.Equal(
            $"{labels}: holds 2 labels but {_dir.File("train-images-idx3-ubyte.gz")} holds 3 images", e.Message);
    }

    [Fact]
    public void Load_LabelOutOfRange_NamesFileAndIndex()
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [2, 2], [1, 2, 3], [4, 10]);

        var e = Assert.Throws<DatasetException>(() => MnistLoader.Load(_dir.Path));

        Assert.StartsWith($"{_dir.File("t10k-labels-idx1-ubyte.gz")}: label 10 at index 1 is outside [0, 10)", e.Message);
    }

    [Fact]
    public void Load_TestImagesOfOtherShape_Throws()
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [2, 2], [1], [2]);
        string testImages = _dir.File("t10k-images-idx3-ubyte.gz");
        IdxTestFiles.Write(testImages, IdxTestFiles.Build([1, 3, 3], new byte[9]), gzip: true);

        var e = Assert.Throws<DatasetException>(() => MnistLoader.Load(_dir.Path));

        Assert.StartsWith(testImages + ":", e.Message);
    }

    [Fact]
    public void Load_ChecksumMismatch_FailsUnlessVerificationIsOff()
    {
        IdxTestFiles.WriteMnistLayout(_dir.Path, [2, 2], [1], [2]);
        _dir.WriteText(Checksums.FileName, new string('0', 64) + "  train-labels-idx1-ubyte.gz\n");

        var e = Assert.Throws<DatasetException>(() => MnistLoader.Load(_dir.Path));
        (Dataset train, _) = MnistLoader.Load(_dir.Path, verifyChecksums: false);

        Assert.Contains("train-labels-idx1-ubyte.gz", e.Message);
        Assert.Equal([1], train.Labels);
    }
}
