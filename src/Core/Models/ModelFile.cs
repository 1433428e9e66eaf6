using System.Runtime.InteropServices;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Training;
using MessagePack;

namespace DistTrain.Core.Models;

/// <summary>
/// A trained model on disk (.dtm): a MessagePack map with a format tag and version, the network
/// spec, activation and loss, and the flat parameters as one raw little-endian float32 block (4
/// bytes a parameter, not 5 as a MessagePack float array would take). Loading checks everything
/// and names the file and the field when something is wrong.
/// </summary>
public static class ModelFile
{
    public const string Format = "disttrain-model";
    public const int Version = 1;

    /// <summary>The largest network's parameters and room for the header fields.</summary>
    private const long MaxFileBytes = (long)NetworkSpec.MaxParameters * sizeof(float) + (1 << 20);

    public static void Save(string path, ModelSpec spec, ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != spec.Network.ParameterCount)
        {
            throw new ArgumentException($"Network {spec.Network} has {spec.Network.ParameterCount} parameters; got {parameters.Length}.");
        }
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(buffer);
        writer.WriteMapHeader(7);
        writer.Write("format");
        writer.Write(Format);
        writer.Write("version");
        writer.Write(Version);
        writer.Write("network");
        writer.Write(spec.Network.ToString());
        writer.Write("activation");
        writer.Write(spec.Network.Activation.ToString());
        writer.Write("loss");
        writer.Write(spec.Loss.ToString());
        writer.Write("lossParameter");
        writer.Write(spec.Loss == LossKind.Hinge ? spec.HingeMargin : spec.HuberDelta);
        writer.Write("parameters");
        writer.Write(MemoryMarshal.AsBytes(parameters));
        writer.Flush();
        DataFiles.WriteRegular(path, buffer.WrittenSpan, "model file", "model.dtm");
    }

    public static (ModelSpec Spec, float[] Parameters) Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Model file '{path}' does not exist.", path);
        }
        byte[] bytes;
        using (var file = DataFiles.OpenRead(path)) // a regular file: never /dev/zero read without end
        {
            if (file.Length > MaxFileBytes)
            {
                throw new InvalidDataException($"Model file '{path}' holds {file.Length:N0} bytes; no model file is larger than {MaxFileBytes:N0}.");
            }
            bytes = new byte[file.Length];
            file.ReadExactly(bytes);
        }
        try
        {
            return Read(bytes, path);
        }
        catch (MessagePackSerializationException e)
        {
            throw new InvalidDataException($"Model file '{path}' is not a DistTrain model (corrupt MessagePack: {e.Message}).", e);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"Model file '{path}' is truncated.", e);
        }
        catch (Exception e) when (e is OverflowException or ArgumentException)
        {
            // MessagePack's reader on lengths and numbers that cannot be (found by fuzzing).
            throw new InvalidDataException($"Model file '{path}' is not a DistTrain model (a length or number is out of range).", e);
        }
    }

    private static (ModelSpec, float[]) Read(byte[] bytes, string path)
    {
        var reader = new MessagePackReader(bytes);
        if (reader.NextMessagePackType != MessagePackType.Map)
        {
            throw new InvalidDataException($"Model file '{path}' is not a DistTrain model (no MessagePack map at the start).");
        }
        var count = reader.ReadMapHeader();
        string? format = null, network = null, activation = null, loss = null;
        int? version = null;
        float lossParameter = 1f;
        byte[]? parameters = null;
        for (var i = 0; i < count; i++)
        {
            var key = reader.ReadString();
            switch (key)
            {
                case "format": format = reader.ReadString(); break;
                case "version": version = reader.ReadInt32(); break;
                case "network": network = reader.ReadString(); break;
                case "activation": activation = reader.ReadString(); break;
                case "loss": loss = reader.ReadString(); break;
                case "lossParameter": lossParameter = reader.ReadSingle(); break;
                case "parameters": parameters = reader.ReadBytes() is { } block ? System.Buffers.BuffersExtensions.ToArray(block) : null; break;
                default: reader.Skip(); break; // fields of later versions are ignored
            }
        }
        if (format != Format)
        {
            throw new InvalidDataException($"Model file '{path}': field 'format' is '{format}', expected '{Format}'.");
        }
        if (version != Version)
        {
            throw new InvalidDataException($"Model file '{path}': format version {version} is not supported (this build reads version {Version}).");
        }
        var activationKind = Enum.TryParse<ActivationKind>(activation, out var a) && Enum.IsDefined(a) && !char.IsDigit(activation![0])
            ? a : throw new InvalidDataException($"Model file '{path}': field 'activation' has unknown value '{activation}'.");
        var lossKind = Enum.TryParse<LossKind>(loss, out var l) && Enum.IsDefined(l) && !char.IsDigit(loss![0])
            ? l : throw new InvalidDataException($"Model file '{path}': field 'loss' has unknown value '{loss}'.");
        NetworkSpec spec;
        try
        {
            spec = NetworkSpec.Parse(network ?? throw new InvalidDataException($"Model file '{path}': field 'network' is missing."), activationKind);
        }
        catch (Exception e) when (e is FormatException or ArgumentException)
        {
            throw new InvalidDataException($"Model file '{path}': field 'network': {e.Message}", e);
        }
        var needed = (long)spec.ParameterCount * sizeof(float); // bounded by NetworkSpec
        if (parameters is null || parameters.Length != needed)
        {
            throw new InvalidDataException(
                $"Model file '{path}': field 'parameters' holds {parameters?.Length ?? 0} bytes; network {spec} needs {needed}.");
        }
        var values = MemoryMarshal.Cast<byte, float>(parameters).ToArray();
        var bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new InvalidDataException($"Model file '{path}': field 'parameters' holds {values[bad]} at index {bad}; a trained model's parameters are finite.");
        }
        try
        {
            var modelSpec = lossKind == LossKind.Hinge
                ? new ModelSpec(spec, lossKind, HingeMargin: lossParameter)
                : new ModelSpec(spec, lossKind, HuberDelta: lossParameter);
            return (modelSpec, values);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"Model file '{path}': field 'lossParameter' is {lossParameter}: {e.Message.Split(" (Parameter")[0]}", e);
        }
    }
}
