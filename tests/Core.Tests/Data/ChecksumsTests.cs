using System.Security.Cryptography;
using System.Text;
using DistTrain.Core.Data;

namespace DistTrain.Core.Tests.Data;

public sealed class ChecksumsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Fact]
    public void Verify_NoSumsFile_VerifiesNothing()
    {
        _dir.WriteText("a.txt", "alpha");

        Assert.Empty(Checksums.Verify(_dir.Path));
    }

    [Fact]
    public void Verify_MatchingFiles_ReturnsThemAndSkipsAbsentOnes()
    {
        _dir.WriteText("a.txt", "alpha");
        _dir.WriteText("b.bin", "beta");
        _dir.WriteText(Checksums.FileName,
            $"{Sha256("alpha")}  a.txt\n\n{Sha256("beta").ToUpperInvariant()} *b.bin\n{Sha256("gamma")}  absent.txt\n");

        Assert.Equal(["a.txt", "b.bin"], Checksums.Verify(_dir.Path));
    }

    [Fact]
    public void Verify_Mismatch_NamesFileAndSumsLine()
    {
        string file = _dir.WriteText("a.txt", "alpha, modified");
        _dir.WriteText(Checksums.FileName, $"{Sha256("alpha")}  a.txt\n");

        var e = Assert.Throws<DatasetException>(() => Checksums.Verify(_dir.Path));

        Assert.StartsWith($"{file}: SHA-256 mismatch: {_dir.File(Checksums.FileName)}:1 expects {Sha256("alpha")}", e.Message);
    }

    [Fact]
    public void Verify_MalformedLine_ReportsLineNumber()
    {
        _dir.WriteText(Checksums.FileName, $"{Sha256("alpha")}  a.txt\nnot a checksum line\n");

        var e = Assert.Throws<DatasetException>(() => Checksums.Verify(_dir.Path));

        Assert.StartsWith($"{_dir.File(Checksums.FileName)}:2: malformed line", e.Message);
    }
}
