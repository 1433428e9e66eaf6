using System.Runtime.CompilerServices;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// The 64 bytes in front of a segment's floats: magic, format, the segment's random id, its length,
/// and the tag of what it holds now. A reader checks all of them before trusting the floats.
/// </summary>
internal static unsafe class SegmentHeader
{
    public const int Size = 64;
    public const uint Magic = 0x47535444; // "DTSG"
    public const int Format = 1;

    public static void Write(byte* header, long id, int length)
    {
        new Span<byte>(header, Size).Clear();
        Unsafe.WriteUnaligned(header, Magic);
        Unsafe.WriteUnaligned(header + 4, Format);
        Unsafe.WriteUnaligned(header + 8, id);
        Unsafe.WriteUnaligned(header + 16, length);
        Volatile.Write(ref *(long*)(header + 24), long.MinValue); // holds nothing yet
    }

    /// <summary>Why the header is not that of segment <paramref name="id"/> with at least
    /// <paramref name="length"/> floats; null when it is.</summary>
    public static string? Check(byte* header, long id, int length)
    {
        if (Unsafe.ReadUnaligned<uint>(header) != Magic || Unsafe.ReadUnaligned<int>(header + 4) != Format)
        {
            return "not a DistTrain segment of this format";
        }
        if (Unsafe.ReadUnaligned<long>(header + 8) != id)
        {
            return "the segment was replaced";
        }
        return Unsafe.ReadUnaligned<int>(header + 16) < length ? "the segment is shorter than the block" : null;
    }

    public static long ReadTag(byte* header) => Volatile.Read(ref *(long*)(header + 24));

    /// <summary>Written after the floats: a reader that sees the new tag sees the new floats.</summary>
    public static void WriteTag(byte* header, long tag) => Volatile.Write(ref *(long*)(header + 24), tag);
}
