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

    // Offset 32: a publish counter (the futex word); offset 36: how many readers sleep on it.
    private static int* Sequence(byte* header) => (int*)(header + 32);

    private static int* Sleepers(byte* header) => (int*)(header + 36);

    /// <summary>Written after the floats: a reader that sees the new tag sees the new floats. Then
    /// wakes the readers sleeping on the segment, if any (a system call only when someone sleeps).</summary>
    public static void WriteTag(byte* header, long tag)
    {
        Volatile.Write(ref *(long*)(header + 24), tag);
        Interlocked.Increment(ref *Sequence(header));
        if (Volatile.Read(ref *Sleepers(header)) > 0)
        {
            Futex.WakeAll(Sequence(header));
        }
    }

    /// <summary>
    /// Blocks until the segment holds <paramref name="tag"/>; false after <paramref name="timeout"/>.
    /// The reader sleeps in the kernel (see <see cref="Futex"/>); it announces itself before its last
    /// look at the tag, and the writer counts publishes, so no wake-up is missed.
    /// </summary>
    public static bool WaitForTag(byte* header, long tag, TimeSpan timeout)
    {
        if (ReadTag(header) == tag)
        {
            return true;
        }
        var deadline = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);
        while (true)
        {
            var seen = Volatile.Read(ref *Sequence(header));
            if (ReadTag(header) == tag)
            {
                return true;
            }
            var left = deadline - System.Diagnostics.Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                return false;
            }
            Interlocked.Increment(ref *Sleepers(header));
            try
            {
                if (ReadTag(header) != tag)
                {
                    // At most 100 ms at a time: a writer in a process that died wakes nobody.
                    Futex.WaitWhile(Sequence(header), seen, TimeSpan.FromSeconds(Math.Min(0.1, (double)left / System.Diagnostics.Stopwatch.Frequency)));
                }
            }
            finally
            {
                Interlocked.Decrement(ref *Sleepers(header));
            }
        }
    }
}
