using DistTrain.Core.Data;
using DistTrain.Core.Expressions;
using DistTrain.Core.Models;
using DistTrain.Core.Nn;
using DistTrain.Core.Tests.Data;
using DistTrain.Core.Training;

namespace DistTrain.Core.Tests.Fuzzing;

/// <summary>The hostile inputs the hardening issue names, one by one: each ends in the reader's
/// own error, naming what is wrong, before anything is allocated for it.</summary>
public sealed class HostileInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnIdxHeaderClaiming2To31Images_InASmallFile_IsRefusedBeforeAllocating(bool gzip)
    {
        var path = _dir.File(gzip ? "claims.idx.gz" : "claims.idx");
        IdxTestFiles.Write(path, IdxTestFiles.Build([int.MaxValue, 1], new byte[1000]), gzip);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.StartsWith(path, e.Message);
        Assert.Contains("2147483647", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "allocated what the header claimed");
    }

    [Fact]
    public void AGzipBomb_IsReadOnlyAsFarAsItsHeaderSays()
    {
        // 4 bytes of data declared, then 64 MB of zeros that compress to ~64 KB.
        var path = _dir.File("bomb.idx.gz");
        var bytes = IdxTestFiles.Build([4], new byte[4]).Concat(new byte[64 << 20]).ToArray();
        IdxTestFiles.Write(path, bytes, gzip: true);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DatasetException>(() => IdxFile.Read(path));

        Assert.Contains("unexpected bytes after", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 4 << 20, "the bomb was inflated into memory");
    }

    [Theory]
    [InlineData("/dev/zero")]
    [InlineData("/tmp")]
    public void NonRegularFiles_AreRefused_ByEveryReader(string path)
    {
        Assert.Contains("not a regular file", Assert.Throws<DatasetException>(() => IdxFile.Read(path)).Message);
        Assert.Contains("not a regular file", Assert.Throws<DatasetException>(() => CsvLoader.Load(path)).Message);
        if (File.Exists(path))
        {
            Assert.Contains("not a regular file", Assert.Throws<DatasetException>(() => ModelFile.Load(path)).Message);
        }
    }

    [Theory]
    [InlineData(10_000_000, "the line is longer than")] // 20 MB: refused while it is read
    [InlineData(100_000, "more than 65,536 columns")] // 200 KB: refused before it is split
    public void ACsvHeaderWithTooManyColumns_IsRefusedBeforeSplitting(int columns, string reason)
    {
        var path = _dir.WriteText("wide.csv", string.Join(',', Enumerable.Repeat("c", columns)) + "\n");
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Contains(reason, e.Message.Replace("\u00a0", ","));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 200 << 20, "split the header into strings");
    }

    [Fact]
    public void ACsvThatIsOneEndlessLine_IsRefusedAtTheLineLimit()
    {
        var path = _dir.File("endless.csv");
        using (var file = new StreamWriter(path))
        {
            file.Write("1,2,0\n");
            file.Write(new string('7', CsvLoader.MaxLineLength + 1000)); // no newline, no delimiter
        }
        var before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}:2: the line is longer than {CsvLoader.MaxLineLength:N0} characters", e.Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 3L * CsvLoader.MaxLineLength * sizeof(char), "held more than the limit");
    }

    [Fact]
    public void ACsvLabelThatWouldSizeAHugeOutputLayer_IsRefused()
    {
        var path = _dir.WriteText("labels.csv", "1,2,0\n3,4,2000000000\n");

        var e = Assert.Throws<DatasetException>(() => CsvLoader.Load(path));

        Assert.Equal($"{path}:2:3: class label 2000000000 is too large: labels run from 0 to 65535", e.Message);
    }

    [Fact]
    public void ALinkLeftWhereATemporaryFileWouldGo_IsNeverWrittenThrough()
    {
        // "model.dtm.tmp" pointing at another file: saving model.dtm must not overwrite that file.
        var victim = _dir.File("victim.txt");
        File.WriteAllText(victim, "keep me");
        var path = _dir.File("model.dtm");
        File.CreateSymbolicLink(path + ".tmp", victim);
        var spec = new ModelSpec(NetworkSpec.Parse("4-3-2"), LossKind.CrossEntropy);

        ModelFile.Save(path, spec, ParameterInit.Initialize(spec.Network, seed: 1));

        Assert.Equal("keep me", File.ReadAllText(victim));
        Assert.Equal(spec.Network.ParameterCount, ModelFile.Load(path).Parameters.Length);
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(path)!, "model.dtm.*.tmp")); // no temporary left behind
    }

    [Fact]
    public void AModelFileWithNaNWeights_IsRefused()
    {
        var spec = new ModelSpec(NetworkSpec.Parse("4-3-2"), LossKind.CrossEntropy);
        var parameters = ParameterInit.Initialize(spec.Network, seed: 1);
        parameters[7] = float.NaN;
        var path = _dir.File("nan.dtm");
        ModelFile.Save(path, spec, parameters);

        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));

        Assert.Contains("NaN at index 7", e.Message);
    }

    [Fact]
    public void ANetworkWhoseParameterCountOverflowsAnInt_IsRefusedWithItsCount()
    {
        var e = Assert.Throws<ArgumentException>(() => NetworkSpec.Parse("784-100000-100000-10"));

        Assert.Contains("10,079,600,010 parameters", e.Message.Replace("\u00a0", ","));
    }

    [Fact]
    public void DeeplyNestedExpressions_AreRefused_NotAStackOverflow()
    {
        var deep = new string('(', 100_000) + "x" + new string(')', 100_000);
        var variables = new Dictionary<string, DistTrain.Core.Autodiff.Tensor<double>> { ["x"] = DistTrain.Core.Autodiff.Tensor.Scalar(1.0) };

        var e = Assert.Throws<ExpressionException>(() => ExpressionParser.Evaluate(deep, variables));
        Assert.Contains($"deeper than {ExpressionParser.MaxNesting}", e.Message);
        Assert.Throws<ExpressionException>(() => ExpressionParser.Evaluate(new string('-', 100_000) + "x", variables));

        var allowed = new string('(', 200) + "x" + new string(')', 200);
        Assert.Equal(1.0, ExpressionParser.Evaluate(allowed, variables).Item);
    }

    [Fact]
    public void EpochTotals_StopAtTheFirstNonFiniteLoss_NamingTheStep()
    {
        var totals = new EpochTotals();
        totals.Add(epoch: 2, stepInEpoch: 0, loss: 1.5, samples: 64);

        var e = Assert.Throws<TrainingDivergedException>(() => totals.Add(epoch: 2, stepInEpoch: 1, loss: double.NaN, samples: 64));

        Assert.Equal((2, 2), (e.Epoch, e.Step));
        Assert.Equal(1.5, totals.MeanLoss);
    }
}
