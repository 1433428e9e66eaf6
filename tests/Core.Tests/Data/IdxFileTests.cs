using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

public sealed class IdxFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData("images.idx", false)]
    [InlineData("images.idx.gz", true)]
    public void Read_RoundTripsWrittenFile(string name, bool gzip)
    {
        byte[] data = IdxTestFiles.Sequence(3 * 4 * 5);
        string path = _dir.File(name);
        IdxTestFiles.Write(path, IdxTestFiles.Build([3, 4, 5], data), gzip);

        IdxArray array = IdxFile.Read(path);

        Assert.Equal([3, 4, 5], array.Dimensions);
        Assert.Equal(data, array.Data);
    }

    [Fact]
    public void Read_DetectsGzipByMagicWithoutGzExtension()
    {
        byte[] data = IdxTestFiles.Sequence(10);
        string path = _dir.File("labels-idx1-ubyte");
        IdxTestFiles.Write(path, IdxTestFiles.Build([10], data), gzip: true);

        Assert.Equal(data, IdxFile.Read(path).Data);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Read_AcceptsOneToFourDimensions(int rank)
    {
        int[] dims = Enumerable.Range(2, rank).ToArray();
        byte[] data = IdxTestFiles.Sequence(dims.Aggregate(1, (a, b) => a * b));
        string path = _dir.File("array.idx");
        IdxTestFiles.Write(path, IdxTestFiles.Build(dims, data), gzip: false);

        IdxArray array = IdxFile.Read(path);

        Assert.Equal(dims, array.Dimensions);
        Assert.Equal(data, array.Data);
    }

    [Theory]
    [InlineData("short.idx", false)]
    [InlineData("short.idx.gz", true)]
    public void Read_TruncatedData_ReportsExpectedAndFoundBytes(string name, bool gzip)
    {
        byte[] bytes = IdxTestFiles.Build([3, 4], IdxTestFiles.Sequence(12));
        string path = _dir.File(name);
        IdxTestFiles.Write(path, bytes[..^1], gzip);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.Equal($"{path}: truncated: expected 12 bytes of data, found 11", e.Message);
    }

    [Fact]
    public void Read_TrailingBytes_Throws()
    {
        byte[] bytes = [.. IdxTestFiles.Build([4], IdxTestFiles.Sequence(4)), 0xAA, 0xBB];
        string path = _dir.File("long.idx");
        IdxTestFiles.Write(path, bytes, gzip: false);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("2 unexpected bytes after the 4 bytes of data", e.Message);
    }

    [Fact]
    public void Read_BadMagic_Throws()
    {
        byte[] bytes = IdxTestFiles.Build([4], IdxTestFiles.Sequence(4));
        bytes[0] = 0x12;
        string path = _dir.File("magic.idx");
        IdxTestFiles.Write(path, bytes, gzip: false);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("bad magic", e.Message);
    }

    [Fact]
    public void Read_UnsupportedTypeCode_NamesTheType()
    {
        string path = _dir.File("floats.idx");
        IdxTestFiles.Write(path, IdxTestFiles.Build([1], new byte[4], typeCode: 0x0D), gzip: false);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.StartsWith(path + ":", e.Message);
        Assert.Contains("unsupported element type 0x0D (32-bit float)", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Read_DimensionCountOutOfRange_Throws(int rank)
    {
        byte[] bytes = IdxTestFiles.Build(Enumerable.Repeat(1, rank).ToArray(), [1]);
        string path = _dir.File("rank.idx");
        IdxTestFiles.Write(path, bytes, gzip: false);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.Equal($"{path}: has {rank} dimensions; 1 to 4 are supported", e.Message);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Read_NonPositiveSize_Throws(int size)
    {
        string path = _dir.File("size.idx");
        IdxTestFiles.Write(path, IdxTestFiles.Build([2, size], []), gzip: false);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.StartsWith($"{path}: dimension 1 has size {(uint)size}", e.Message);
    }

    [Fact]
    public void Read_TruncatedHeader_Throws()
    {
        byte[] bytes = IdxTestFiles.Build([2, 2, 2], IdxTestFiles.Sequence(8));
        string path = _dir.File("header.idx");
        IdxTestFiles.Write(path, bytes[..10], gzip: false);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.Equal($"{path}: truncated header: expected 16 bytes, found 10", e.Message);
    }

    [Fact]
    public void Read_EmptyFile_Throws()
    {
        string path = _dir.WriteText("empty.idx", "");

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.Equal($"{path}: file is empty", e.Message);
    }

    [Fact]
    public void Read_MissingFile_Throws()
    {
        string path = _dir.File("absent.idx");

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.Equal($"{path}: file not found", e.Message);
    }

    [Fact]
    public void Read_CorruptGzip_Throws()
    {
        string path = _dir.File("corrupt.idx.gz");
        File.WriteAllBytes(path, [0x1f, 0x8b, 0x08, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x00, 0x12, 0x34, 0x56]);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.StartsWith(path + ":", e.Message);
    }

    [Fact]
    public void Read_CutGzipStream_Throws()
    {
        string whole = _dir.File("whole.idx.gz");
        IdxTestFiles.Write(whole, IdxTestFiles.Build([64, 64], IdxTestFiles.Sequence(4096)), gzip: true);
        byte[] compressed = File.ReadAllBytes(whole);
        string path = _dir.File("cut.idx.gz");
        File.WriteAllBytes(path, compressed[..(compressed.Length / 2)]);

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.StartsWith(path + ":", e.Message);
    }
}
