using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistTrain.Core.Kernels;

/// <summary>
/// bfloat16 on the wire: the upper 16 bits of a float (8 exponent bits, 7 of mantissa), half the
/// bytes of fp32 with its range. Rounding is to nearest, ties to even; NaN stays NaN. With error
/// feedback (<see cref="RoundWithFeedback"/>) what rounding drops from one vector is added to the
/// next, so nothing is lost for good.
/// </summary>
public static class BFloat16
{
    /// <summary>The bfloat16 nearest to <paramref name="value"/> (ties to even).</summary>
    public static ushort Round(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000)
        {
            return (ushort)((bits >> 16) | 0x0040); // a quiet NaN, sign kept
        }
        return (ushort)((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16);
    }

    public static float Widen(ushort value) => BitConverter.UInt32BitsToSingle((uint)value << 16);

    /// <summary>Each element of <paramref name="source"/> rounded to bfloat16.</summary>
    public static void Round(ReadOnlySpan<float> source, Span<ushort> destination)
    {
        Check(source.Length, destination.Length);
        var bits = MemoryMarshal.Cast<float, uint>(source);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + 2 * Vector512<uint>.Count <= bits.Length; i += 2 * Vector512<uint>.Count)
            {
                var low = RoundBits(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(bits), (nuint)i));
                var high = RoundBits(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(bits), (nuint)(i + Vector512<uint>.Count)));
                Vector512.Narrow(low, high).StoreUnsafe(ref MemoryMarshal.GetReference(destination), (nuint)i);
            }
        }
        for (; i < bits.Length; i++)
        {
            destination[i] = Round(source[i]);
        }
    }

    /// <summary>Each bfloat16 of <paramref name="source"/> as a float (exact).</summary>
    public static void Widen(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        Check(source.Length, destination.Length);
        var bits = MemoryMarshal.Cast<float, uint>(destination);
        var i = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            for (; i + Vector512<ushort>.Count <= source.Length; i += Vector512<ushort>.Count)
            {
                var (low, high) = Vector512.Widen(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(source), (nuint)i));
                (low << 16).StoreUnsafe(ref MemoryMarshal.GetReference(bits), (nuint)i);
                (high << 16).StoreUnsafe(ref MemoryMarshal.GetReference(bits), (nuint)(i + Vector512<uint>.Count));
            }
        }
        for (; i < source.Length; i++)
        {
            destination[i] = Widen(source[i]);
        }
    }

    /// <summary>
    /// Sends <paramref name="values"/> + <paramref name="residual"/> rounded to bfloat16 into
    /// <paramref name="destination"/>, and keeps in <paramref name="residual"/> what the rounding
    /// dropped, for the next call: over many calls the sums of what was sent and of what was meant
    /// differ by one residual only.
    /// </summary>
    public static void RoundWithFeedback(ReadOnlySpan<float> values, Span<float> residual, Span<ushort> destination)
    {
        Check(values.Length, residual.Length);
        Check(values.Length, destination.Length);
        const int Chunk = 1024;
        Span<float> sent = stackalloc float[Chunk];
        for (var start = 0; start < values.Length; start += Chunk)
        {
            var length = Math.Min(Chunk, values.Length - start);
            var r = residual.Slice(start, length);
            System.Numerics.Tensors.TensorPrimitives.Add(values.Slice(start, length), r, r); // what is meant
            Round(r, destination.Slice(start, length));
            Widen(destination.Slice(start, length), sent[..length]);
            System.Numerics.Tensors.TensorPrimitives.Subtract(r, sent[..length], r); // what was dropped
        }
    }

    private static Vector512<uint> RoundBits(Vector512<uint> bits)
    {
        var rounded = (bits + Vector512.Create(0x7FFFu) + ((bits >> 16) & Vector512<uint>.One)) >> 16;
        var nan = Vector512.GreaterThan(bits & Vector512.Create(0x7FFF_FFFFu), Vector512.Create(0x7F80_0000u));
        return Vector512.ConditionalSelect(nan, (bits >> 16) | Vector512.Create(0x0040u), rounded);
    }

    private static void Check(int source, int destination)
    {
        if (source != destination)
        {
            throw new ArgumentException($"{source} values for {destination} places.");
        }
    }
}
