using System.IO.Compression;
using DistTrain.Core.Data;
using DistTrain.Core.Models;
using DistTrain.Core.Nn;
using DistTrain.Core.Tests.Data;
using DistTrain.Core.Training;
using Xunit.Abstractions;

namespace DistTrain.Core.Tests.Fuzzing;

/// <summary>
/// Every reader of outside bytes, fed 2,000 random mutations of a valid input: each case is parsed
/// to a valid object or refused with the reader's own exception, never another exception, a hang
/// or an allocation beyond what the bytes support.
/// </summary>
public sealed class ReaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDirectory _directory = new();

    /// <param name="form">raw: the IDX bytes mutated; gzip: the gzip stream's bytes mutated (most
    /// cases then fail gzip's own checks); gzip-inside: the IDX bytes mutated, then compressed, so
    /// that the IDX header checks behind gzip are what is tried.</param>
    [Theory]
    [InlineData("raw")]
    [InlineData("gzip")]
    [InlineData("gzip-inside")]
    public void IdxFile_ParsesOrRefuses_EveryMutation(string form)
    {
        var valid = IdxTestFiles.Build([3, 4, 5], IdxTestFiles.Sequence(60));
        var input = form == "gzip" ? Gzip(valid) : valid;

        var (parsed, refused) = Fuzz(input, path => IdxFile.Read(path), (IdxArray a) =>
            Assert.Equal(a.Dimensions.Aggregate(1L, (n, d) => n * d), a.Data.Length), typeof(DatasetException),
            form == "gzip-inside" ? Gzip : null);

        output.WriteLine($"IDX ({form}): {parsed} parsed, {refused} refused");
    }

    [Fact]
    public void CsvLoader_ParsesOrRefuses_EveryMutation()
    {
        var valid = "x1,x2,x3,label\n0.5,1,2,0\n-1,2.5,3,1\n4,5,6e-2,2\n1,1,1,1\n"u8.ToArray();

        var (parsed, refused) = Fuzz(valid, path => CsvLoader.Load(path), (Dataset d) =>
        {
            Assert.True(d.Count > 0);
            Assert.Equal(d.Count * d.FeatureCount, d.Features.Length);
        }, typeof(DatasetException));

        output.WriteLine($"CSV: {parsed} parsed, {refused} refused");
    }

    [Fact]
    public void ModelFile_LoadsOrRefuses_EveryMutation()
    {
        var spec = new ModelSpec(NetworkSpec.Parse("4-3-2"), LossKind.CrossEntropy);
        var path = _directory.File("valid.dtm");
        ModelFile.Save(path, spec, ParameterInit.Initialize(spec.Network, seed: 1));
        var valid = File.ReadAllBytes(path);

        var (parsed, refused) = Fuzz(valid, p => ModelFile.Load(p), ((ModelSpec Spec, float[] Parameters) m) =>
        {
            Assert.Equal(m.Spec.Network.ParameterCount, m.Parameters.Length);
            Assert.All(m.Parameters, v => Assert.True(float.IsFinite(v)));
        }, typeof(InvalidDataException));

        output.WriteLine($"model file: {parsed} parsed, {refused} refused");
    }

    /// <summary>Writes each mutation to a file, reads it, and checks the outcome; returns how many
    /// cases parsed and how many were refused (both must happen, or the mutations test nothing).</summary>
    private (long Parsed, long Refused) Fuzz<T>(byte[] valid, Func<string, T> read, Action<T> check, Type refusal, Func<byte[], byte[]>? wrap = null)
    {
        long parsed = 0, refused = 0, index = 0;
        var path = _directory.File(wrap is null ? "case" : "case.gz");
        foreach (var mutated in Mutations.FixedCases(valid))
        {
            var bytes = wrap is null ? mutated : wrap(mutated);
            File.WriteAllBytes(path, bytes);
            T result;
            try
            {
                result = read(path);
            }
            catch (Exception e) when (refusal.IsInstanceOfType(e))
            {
                Assert.Contains(path, e.Message); // the error names the file
                refused++;
                continue;
            }
            catch (Exception e)
            {
                throw new Xunit.Sdk.XunitException($"case {index} ({Convert.ToHexString(bytes)}) threw {e.GetType().Name} instead of {refusal.Name}: {e}");
            }
            finally
            {
                index++;
            }
            check(result);
            parsed++;
        }
        Assert.Equal(Mutations.Cases, parsed + refused);
        Assert.True(refused > 0);
        return (parsed, refused);
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest))
        {
            gzip.Write(bytes);
        }
        return buffer.ToArray();
    }

    public void Dispose() => _directory.Dispose();
}
