using System.Buffers.Binary;
using System.IO.Compression;

namespace DistTrain.Core.Data;

/// <summary>
/// Reads IDX files (the MNIST container format), raw or gzip-compressed. Only the unsigned-byte
/// element type is supported: it is the only one the image datasets we load use.
/// </summary>
public static class IdxFile
{
    public const byte UnsignedByteType = 0x08;
    public const int MaxDimensions = 4;

    /// <summary>Deflate never expands data more than about 1032-fold: a gzip file of n bytes holds at
    /// most this many times n, which bounds what a header may claim before anything is allocated.</summary>
    private const long MaxDeflateRatio = 1032;

    public static IdxArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        using FileStream file = DataFiles.OpenRead(path);
        bool gzip = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) || StartsWithGzipMagic(file);
        if (!gzip)
        {
            return ReadContent(file, path, file.Length, compressed: false);
        }

        using var content = new GZipStream(file, CompressionMode.Decompress, leaveOpen: true);
        try
        {
            return ReadContent(content, path, file.Length * MaxDeflateRatio, compressed: true);
        }
        catch (InvalidDataException e)
        {
            throw new DatasetException($"{path}: not valid gzip data: {e.Message}", e);
        }
    }

    // The IDX magic starts with two zero bytes, so it can never be mistaken for the gzip magic.
    private static bool StartsWithGzipMagic(FileStream file)
    {
        Span<byte> magic = stackalloc byte[2];
        int read = file.ReadAtLeast(magic, magic.Length, throwOnEndOfStream: false);
        file.Position = 0;
        return read == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
    }

    /// <param name="available">The most bytes <paramref name="stream"/> can hold: the file's length,
    /// or for gzip the most its compressed length can expand to.</param>
    private static IdxArray ReadContent(Stream stream, string path, long available, bool compressed)
    {
        Span<byte> header = stackalloc byte[4 + 4 * MaxDimensions];
        int read = stream.ReadAtLeast(header[..4], 4, throwOnEndOfStream: false);
        if (read == 0)
        {
            throw new DatasetException($"{path}: file is empty");
        }

        if (read < 4)
        {
            throw new DatasetException($"{path}: truncated header: expected at least 4 bytes, found {read}");
        }

        if (header[0] != 0 || header[1] != 0)
        {
            throw new DatasetException(
                $"{path}: bad magic: an IDX file starts with two zero bytes, found 0x{header[0]:X2} 0x{header[1]:X2} (not an IDX file?)");
        }

        byte type = header[2];
        if (type != UnsignedByteType)
        {
            throw new DatasetException(
                $"{path}: unsupported element type 0x{type:X2} ({TypeName(type)}); only 0x08 (unsigned byte) is supported");
        }

        int rank = header[3];
        if (rank is < 1 or > MaxDimensions)
        {
            throw new DatasetException($"{path}: has {rank} dimensions; 1 to {MaxDimensions} are supported");
        }

        int headerLength = 4 + 4 * rank;
        read = 4 + stream.ReadAtLeast(header[4..headerLength], headerLength - 4, throwOnEndOfStream: false);
        if (read < headerLength)
        {
            throw new DatasetException($"{path}: truncated header: expected {headerLength} bytes, found {read}");
        }

        int[] dimensions = new int[rank];
        long total = 1;
        for (int i = 0; i < rank; i++)
        {
            uint size = BinaryPrimitives.ReadUInt32BigEndian(header.Slice(4 + 4 * i, 4));
            if (size == 0 || size > int.MaxValue)
            {
                throw new DatasetException($"{path}: dimension {i} has size {size}; sizes must be between 1 and {int.MaxValue}");
            }

            dimensions[i] = (int)size;
            total *= size;
            if (total > Array.MaxLength)
            {
                throw new DatasetException(
                    $"{path}: dimensions [{string.Join(", ", dimensions[..(i + 1)])}] describe more than {Array.MaxLength} bytes of data");
            }
        }

        // Refused before allocating: a 1 KB file may claim 2^31 images in its header.
        if (total > available - headerLength)
        {
            var found = Math.Max(0, available - headerLength);
            throw new DatasetException(compressed
                ? $"{path}: the header describes {total} bytes of data; {available / MaxDeflateRatio} bytes of gzip cannot hold more than {found}"
                : $"{path}: truncated: expected {total} bytes of data, found {found}");
        }

        // One allocation for the payload, filled by as few large reads as the stream allows.
        byte[] data = GC.AllocateUninitializedArray<byte>((int)total);
        read = stream.ReadAtLeast(data, data.Length, throwOnEndOfStream: false);
        if (read < data.Length)
        {
            throw new DatasetException($"{path}: truncated: expected {data.Length} bytes of data, found {read}");
        }

        long trailing = CountRemaining(stream);
        if (trailing > 0)
        {
            throw new DatasetException(
                $"{path}: {trailing} unexpected bytes after the {data.Length} bytes of data the header describes");
        }

        return new IdxArray(dimensions, data);
    }

    /// <summary>The bytes left after the data (counted up to 1 MB: a gzip bomb is not read to its end).</summary>
    private static long CountRemaining(Stream stream)
    {
        Span<byte> scratch = stackalloc byte[4096];
        long count = 0;
        int read;
        while (count < 1 << 20 && (read = stream.Read(scratch)) > 0)
        {
            count += read;
        }

        return count;
    }

    private static string TypeName(byte type) => type switch
    {
        0x09 => "signed byte",
        0x0B => "16-bit integer",
        0x0C => "32-bit integer",
        0x0D => "32-bit float",
        0x0E => "64-bit float",
        _ => "not an IDX type",
    };
}
