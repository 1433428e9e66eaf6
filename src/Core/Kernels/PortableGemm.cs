using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace DistTrain.Core.Kernels;

/// <summary>
/// A matrix product for any CPU and any floating type: each row of C is a sum of rows of op(B)
/// scaled by A's entries (axpy), and TensorPrimitives vectorizes every axpy with the widest SIMD
/// available. Transposed B is copied to row-major first so the inner loop is contiguous, into a
/// per-thread buffer that only grows: a training step allocates nothing on CPUs without AVX-512 too.
/// </summary>
internal static class PortableGemm
{
    /// <summary>Set by tests to keep float products on the axpy rows (per thread, as <see cref="Gemm.ForcePortable"/>).</summary>
    [ThreadStatic]
    internal static bool ForceAxpy;

    /// <summary>The share of exact zeros among <paramref name="values"/> (sampled: every 7th value).</summary>
    private static double ZeroShare<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var zeros = 0;
        var seen = 0;
        for (var i = 0; i < values.Length; i += 7, seen++)
        {
            zeros += values[i] == T.Zero ? 1 : 0;
        }
        return seen == 0 ? 0 : (double)zeros / seen;
    }

    [ThreadStatic]
    private static float[]? t_floats;

    [ThreadStatic]
    private static double[]? t_doubles;

    /// <summary>This thread's scratch of at least <paramref name="length"/> elements.</summary>
    private static Span<T> Scratch<T>(int length) where T : unmanaged
    {
        if (typeof(T) == typeof(float))
        {
            if (t_floats is null || t_floats.Length < length)
            {
                t_floats = new float[length];
            }
            return MemoryMarshal.Cast<float, T>(t_floats.AsSpan(0, length));
        }
        if (typeof(T) == typeof(double))
        {
            if (t_doubles is null || t_doubles.Length < length)
            {
                t_doubles = new double[length];
            }
            return MemoryMarshal.Cast<double, T>(t_doubles.AsSpan(0, length));
        }
        return new T[length]; // other types (Half, …) only in tests
    }

    internal static void Multiply<T>(
        ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        // Float on an AVX2 CPU: the packed kernels, which read either layout of B and skip A's zeros.
        if (typeof(T) == typeof(float) && SgemmAvx2.IsSupported && !ForceAxpy)
        {
            SgemmAvx2.Multiply(MemoryMarshal.Cast<T, float>(a), transposeA, MemoryMarshal.Cast<T, float>(b), transposeB,
                MemoryMarshal.Cast<T, float>(c), m, n, k, accumulate, ZeroShare(a[..(m * k)]));
            return;
        }
        if (transposeB)
        {
            // Room for k rounded up to 1,024 (as the AVX-512 kernel packs): a layer whose count of
            // used input columns grows from step to step does not reallocate.
            var transposed = Scratch<T>((k + 1023) / 1024 * 1024 * n)[..(k * n)];
            Transpose(b, n, k, transposed);
            b = transposed;
        }
        for (var i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            if (!accumulate)
            {
                row.Clear();
            }
            for (var p = 0; p < k; p++)
            {
                var aip = transposeA ? a[p * m + i] : a[i * k + p];
                if (aip != T.Zero)
                {
                    TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), aip, row, row);
                }
            }
        }
    }

    /// <summary>Writes the transpose of the rows×cols matrix <paramref name="source"/> (cols×rows).</summary>
    internal static void Transpose<T>(ReadOnlySpan<T> source, int rows, int cols, Span<T> destination)
    {
        const int Block = 32; // tiles keep both sides in cache
        for (var i0 = 0; i0 < rows; i0 += Block)
        {
            var i1 = Math.Min(i0 + Block, rows);
            for (var j0 = 0; j0 < cols; j0 += Block)
            {
                var j1 = Math.Min(j0 + Block, cols);
                for (var i = i0; i < i1; i++)
                {
                    for (var j = j0; j < j1; j++)
                    {
                        destination[j * rows + i] = source[i * cols + j];
                    }
                }
            }
        }
    }
}
