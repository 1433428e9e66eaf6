using System.Buffers.Binary;
using System.IO.Compression;

namespace DistTrain.Core.Tests.Data;

/// <summary>Builds IDX files byte by byte, so tests can also produce every kind of broken one.</summary>
internal static class IdxTestFiles
{
    public static byte[] Build(int[] dimensions, byte[] data, byte typeCode = 0x08)
    {
        var bytes = new byte[4 + 4 * dimensions.Length + data.Length];
        bytes[2] = typeCode;
        bytes[3] = (byte)dimensions.Length;
        for (int i = 0; i < dimensions.Length; i++)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * i), dimensions[i]);
        }

        data.CopyTo(bytes, 4 + 4 * dimensions.Length);
        return bytes;
    }

    public static void Write(string path, byte[] bytes, bool gzip)
    {
        using FileStream file = File.Create(path);
        if (!gzip)
        {
            file.Write(bytes);
            return;
        }

        using var compressed = new GZipStream(file, CompressionLevel.Fastest);
        compressed.Write(bytes);
    }

    public static byte[] Sequence(int length)
    {
        var data = new byte[length];
        for (int i = 0; i < length; i++)
        {
            data[i] = (byte)(i * 7 + 3);
        }

        return data;
    }

    /// <summary>A directory in the MNIST layout with tiny images of the given shape and the given labels.</summary>
    public static void WriteMnistLayout(
        string directory, int[] imageShape, byte[] trainLabels, byte[] testLabels, bool gzip = true)
    {
        string suffix = gzip ? ".gz" : "";
        WriteSplit(directory, "train", imageShape, trainLabels, suffix);
        WriteSplit(directory, "t10k", imageShape, testLabels, suffix);
    }

    private static void WriteSplit(string directory, string prefix, int[] imageShape, byte[] labels, string suffix)
    {
        int[] dims = [labels.Length, .. imageShape];
        int pixels = dims.Aggregate(1, (a, b) => a * b);
        Write(Path.Combine(directory, $"{prefix}-images-idx3-ubyte{suffix}"), Build(dims, Sequence(pixels)), suffix != "");
        Write(Path.Combine(directory, $"{prefix}-labels-idx1-ubyte{suffix}"), Build([labels.Length], labels), suffix != "");
    }
}
