using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

/// <summary>
/// Columns of a row-major matrix that are zero in every row, and moving between the matrix and its
/// "compact" form that keeps only the other columns. A linear layer whose input has such columns
/// (MNIST: the empty border and background pixels, a third of the 784 in a slice of 128 images) can
/// multiply the compact matrices instead: the skipped terms are exact zeros.
/// </summary>
/// <remarks>
/// The set of used columns is a bit mask per block of 16 columns (<see cref="Blocks"/> of them), so
/// the float path is AVX-512's compress and expand: one instruction per 16 values. Elsewhere a block
/// wholly used is one copy, an unused one nothing, and a mixed one a walk over its set bits.
/// </remarks>
public static class ZeroColumns
{
    private const int Lanes = 16;

    /// <summary>
    /// Whether linear layers skip their input's zero columns (on by default). A process-wide switch
    /// for benchmarks that compare dense products with dense products (`bench --dense`); set it
    /// before training starts, not during.
    /// </summary>
    public static bool SkipInLinearLayers { get; set; } = true;

    /// <summary>How many 16-column blocks describe <paramref name="columns"/> columns.</summary>
    public static int Blocks(int columns) => (columns + Lanes - 1) / Lanes;

    /// <summary>
    /// Sets bit c of <paramref name="used"/>[b] when column 16·b + c of the rows×cols matrix
    /// <paramref name="x"/> holds a non-zero (NaN counts as non-zero) in some row; returns how many
    /// columns do.
    /// </summary>
    public static int FindUsed<T>(ReadOnlySpan<T> x, int rows, int cols, Span<ushort> used)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var blocks = Blocks(cols);
        used = used[..blocks];
        used.Clear();
        var whole = cols / Lanes;
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * cols, cols);
            var b = 0;
            if (typeof(T) == typeof(float) && Avx512F.IsSupported)
            {
                var values = MemoryMarshal.Cast<T, float>(row);
                for (; b < whole; b++)
                {
                    var zero = Vector512.Equals(Vector512.Create<float>(values.Slice(b * Lanes, Lanes)), Vector512<float>.Zero);
                    used[b] |= (ushort)~Vector512.ExtractMostSignificantBits(zero);
                }
            }
            else if (typeof(T) == typeof(float) && Vector256.IsHardwareAccelerated)
            {
                // Two 8-lane compares per block (AVX2 CPUs).
                var values = MemoryMarshal.Cast<T, float>(row);
                for (; b < whole; b++)
                {
                    var low = Vector256.Equals(Vector256.Create<float>(values.Slice(b * Lanes, 8)), Vector256<float>.Zero);
                    var high = Vector256.Equals(Vector256.Create<float>(values.Slice(b * Lanes + 8, 8)), Vector256<float>.Zero);
                    used[b] |= (ushort)~(low.ExtractMostSignificantBits() | high.ExtractMostSignificantBits() << 8);
                }
            }
            for (var c = b * Lanes; c < cols; c++)
            {
                if (row[c] != T.Zero)
                {
                    used[c / Lanes] |= (ushort)(1 << (c % Lanes));
                }
            }
        }
        var count = 0;
        foreach (var bits in used)
        {
            count += BitOperations.PopCount(bits);
        }
        return count;
    }

    /// <summary>Copies the used columns of each row of the rows×cols <paramref name="x"/>, in order,
    /// into the rows×<paramref name="count"/> <paramref name="compact"/>, which needs 16 spare values
    /// at its end (whole vectors are stored, and the next row overwrites the excess).</summary>
    public static void Compact<T>(ReadOnlySpan<T> x, int rows, int cols, ReadOnlySpan<ushort> used, int count, Span<T> compact)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (compact.Length < rows * count + Lanes)
        {
            throw new ArgumentException($"The compact matrix needs {rows * count + Lanes} values; got {compact.Length}.");
        }
        var whole = cols / Lanes;
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * cols, cols);
            var target = compact.Slice(r * count);
            var at = 0;
            var b = 0;
            if (typeof(T) == typeof(float) && Avx512F.IsSupported)
            {
                var values = MemoryMarshal.Cast<T, float>(row);
                var output = MemoryMarshal.Cast<T, float>(target);
                for (; b < whole; b++)
                {
                    var bits = used[b];
                    if (bits == 0)
                    {
                        continue;
                    }
                    var packed = Avx512F.Compress(Vector512<float>.Zero, Mask(bits), Vector512.Create<float>(values.Slice(b * Lanes, Lanes)));
                    packed.CopyTo(output[at..]); // the spare values absorb the lanes beyond the used ones
                    at += BitOperations.PopCount(bits);
                }
            }
            // Without AVX-512 (or for doubles), block by block: a block wholly used is one copy, an
            // unused one is skipped, a mixed one visits only its set bits.
            for (; b < whole; b++)
            {
                var bits = (uint)used[b];
                if (bits == 0xFFFF)
                {
                    row.Slice(b * Lanes, Lanes).CopyTo(target.Slice(at, Lanes));
                    at += Lanes;
                    continue;
                }
                for (; bits != 0; bits &= bits - 1)
                {
                    target[at++] = row[b * Lanes + BitOperations.TrailingZeroCount(bits)];
                }
            }
            for (var c = b * Lanes; c < cols; c++)
            {
                if ((used[c / Lanes] & (1 << (c % Lanes))) != 0)
                {
                    target[at++] = row[c];
                }
            }
        }
    }

    /// <summary>Writes the rows×<paramref name="count"/> <paramref name="compact"/> into the used
    /// columns of the rows×cols <paramref name="x"/>, and zero into the others; with
    /// <paramref name="accumulate"/>, adds to the used columns and leaves the others as they are.
    /// Whole vectors are read while 16 values remain in <paramref name="compact"/> (the next row's, or
    /// spare values at its end, fill the lanes beyond the used ones); the rest goes value by value.</summary>
    public static void Expand<T>(ReadOnlySpan<T> compact, int rows, int cols, ReadOnlySpan<ushort> used, int count, Span<T> x, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var whole = cols / Lanes;
        for (var r = 0; r < rows; r++)
        {
            var row = x.Slice(r * cols, cols);
            var source = compact.Slice(r * count);
            var at = 0;
            var b = 0;
            if (typeof(T) == typeof(float) && Avx512F.IsSupported && !accumulate)
            {
                var output = MemoryMarshal.Cast<T, float>(row);
                var values = MemoryMarshal.Cast<T, float>(source);
                for (; b < whole && at + Lanes <= values.Length; b++)
                {
                    var bits = used[b];
                    var spread = Avx512F.Expand(Vector512<float>.Zero, Mask(bits), Vector512.Create<float>(values.Slice(at, Lanes)));
                    spread.CopyTo(output.Slice(b * Lanes, Lanes));
                    at += BitOperations.PopCount(bits);
                }
            }
            for (; b < whole; b++)
            {
                var bits = (uint)used[b];
                var block = row.Slice(b * Lanes, Lanes);
                if (bits == 0xFFFF)
                {
                    var from = source.Slice(at, Lanes);
                    if (accumulate)
                    {
                        System.Numerics.Tensors.TensorPrimitives.Add(block, from, block);
                    }
                    else
                    {
                        from.CopyTo(block);
                    }
                    at += Lanes;
                    continue;
                }
                if (!accumulate)
                {
                    block.Clear();
                }
                for (; bits != 0; bits &= bits - 1)
                {
                    var c = BitOperations.TrailingZeroCount(bits);
                    block[c] = accumulate ? block[c] + source[at++] : source[at++];
                }
            }
            for (var c = b * Lanes; c < cols; c++)
            {
                if ((used[c / Lanes] & (1 << (c % Lanes))) != 0)
                {
                    row[c] = accumulate ? row[c] + source[at++] : source[at++];
                }
                else if (!accumulate)
                {
                    row[c] = T.Zero;
                }
            }
        }
    }

    /// <summary>A lane mask (all ones where the bit is set) from 16 bits.</summary>
    private static Vector512<float> Mask(ushort bits)
    {
        var lanes = Vector512.Create(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768);
        return Vector512.Equals(lanes & Vector512.Create((int)bits), lanes).AsSingle();
    }
}
