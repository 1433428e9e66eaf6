using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace DistTrain.Core.Kernels;

/// <summary>
/// General matrix product C (+)= op(A)·op(B) on row-major spans, where op transposes or not.
/// Dispatches float32 to the AVX-512 micro-kernels when the CPU has them, everything else to a
/// portable kernel built on TensorPrimitives (which uses the widest SIMD the CPU has).
/// </summary>
public static class Gemm
{
    /// <summary>Set by tests to force the portable path on a machine with AVX-512. Per thread: a
    /// process-wide switch would change the kernels (and the rounding) under tests running in
    /// parallel, such as the ones that check training is bit-for-bit deterministic.</summary>
    internal static bool ForcePortable
    {
        get => t_forcePortable;
        set => t_forcePortable = value;
    }

    [ThreadStatic]
    private static bool t_forcePortable;

    /// <param name="a">m×k, or k×m stored when <paramref name="transposeA"/>.</param>
    /// <param name="b">k×n, or n×k stored when <paramref name="transposeB"/>.</param>
    /// <param name="c">m×n.</param>
    /// <param name="accumulate">Add into C instead of overwriting it.</param>
    public static void Multiply<T>(
        ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m < 0 || n < 0 || k < 0)
        {
            throw new ArgumentException($"Matrix sizes must not be negative (m={m}, n={n}, k={k}).");
        }
        if (a.Length < (long)m * k || b.Length < (long)k * n || c.Length < (long)m * n)
        {
            throw new ArgumentException(
                $"Gemm {m}x{k} · {k}x{n}: spans too short (A {a.Length}, B {b.Length}, C {c.Length}).");
        }
        if (m == 0 || n == 0)
        {
            return;
        }
        if (k == 0)
        {
            if (!accumulate)
            {
                c[..(m * n)].Clear();
            }
            return;
        }
        if (typeof(T) == typeof(float) && Vector512.IsHardwareAccelerated && !ForcePortable)
        {
            SgemmAvx512.Multiply(
                MemoryMarshal.Cast<T, float>(a), transposeA, MemoryMarshal.Cast<T, float>(b), transposeB,
                MemoryMarshal.Cast<T, float>(c), m, n, k, accumulate);
            return;
        }
        PortableGemm.Multiply(a, transposeA, b, transposeB, c, m, n, k, accumulate);
    }
}
