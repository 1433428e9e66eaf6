using DistTrain.Core.Models;
using DistTrain.Core.Nn;
using DistTrain.Core.Training;

namespace DistTrain.Core.Tests.Models;

public class ModelFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("disttrain-model-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void SaveThenLoad_RoundTripsSpecAndParameters()
    {
        var spec = new ModelSpec(NetworkSpec.Parse("784-16-16-10", ActivationKind.Tanh), LossKind.Huber, HuberDelta: 0.5f);
        var parameters = ParameterInit.Initialize(spec.Network, 3);
        var path = Path.Combine(_directory, "m.dtm");
        ModelFile.Save(path, spec, parameters);
        var (loaded, values) = ModelFile.Load(path);
        Assert.Equal(spec, loaded);
        Assert.Equal(parameters, values);
        Assert.InRange(new FileInfo(path).Length, parameters.Length * 4, parameters.Length * 4 + 200); // raw float block
    }

    [Fact]
    public void Load_RejectsCorruptTruncatedAndForeignFiles_NamingTheFile()
    {
        var spec = new ModelSpec(NetworkSpec.Parse("4-3"));
        var path = Path.Combine(_directory, "m.dtm");
        ModelFile.Save(path, spec, new float[spec.Network.ParameterCount]);
        var bytes = File.ReadAllBytes(path);

        File.WriteAllBytes(path, bytes[..(bytes.Length - 7)]);
        Assert.Contains("m.dtm", Assert.ThrowsAny<Exception>(() => ModelFile.Load(path)).Message);

        File.WriteAllText(path, "not a model");
        Assert.Contains("m.dtm", Assert.Throws<InvalidDataException>(() => ModelFile.Load(path)).Message);

        Assert.Throws<FileNotFoundException>(() => ModelFile.Load(Path.Combine(_directory, "missing.dtm")));
    }

    [Fact]
    public void Load_RejectsParametersThatDoNotFitTheNetwork()
    {
        var path = Path.Combine(_directory, "m.dtm");
        ModelFile.Save(path, new ModelSpec(NetworkSpec.Parse("4-3")), new float[15]);
        var bytes = File.ReadAllBytes(path);
        // Rewrite the network field "4-3" as "4-2": same length, fewer parameters than stored.
        var text = System.Text.Encoding.ASCII.GetBytes("4-3");
        var index = bytes.AsSpan().IndexOf(text);
        bytes[index + 2] = (byte)'2';
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("parameters", e.Message);
    }

    [Fact]
    public void Load_RejectsANetworkTooLargeForAnyFile()
    {
        // A hand-made file whose network has more parameters than an int counts: a clean error, no overflow.
        var path = Path.Combine(_directory, "m.dtm");
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var w = new MessagePack.MessagePackWriter(buffer);
        w.WriteMapHeader(6);
        w.Write("format"); w.Write(ModelFile.Format);
        w.Write("version"); w.Write(ModelFile.Version);
        w.Write("network"); w.Write("99999-99999-99999");
        w.Write("activation"); w.Write("ReLU");
        w.Write("loss"); w.Write("CrossEntropy");
        w.Write("parameters"); w.Write(new byte[16]);
        w.Flush();
        File.WriteAllBytes(path, buffer.WrittenSpan.ToArray());
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains("m.dtm", e.Message);
    }
}
