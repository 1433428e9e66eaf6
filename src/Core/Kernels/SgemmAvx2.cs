using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

/// <summary>
/// C (+)= op(A)·B for float32 on CPUs with AVX2 and FMA but no AVX-512, B row-major (the portable
/// path transposes a stored Bᵀ first). A 6×16 micro-kernel keeps a 6-row, 16-column block of C in
/// 12 ymm registers while it walks k, loading two vectors of B's row and broadcasting one entry of A
/// per row: 12 FMAs per 2 loads, the classic Haswell shape (16 ymm registers in all). Rows left
/// over (m mod 6) and columns (n mod 16) go through narrower loops over the same sums, in the same
/// order over k, so a result does not depend on which loop computed it.
/// </summary>
internal static unsafe class SgemmAvx2
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    public static void Multiply(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, Span<float> c, int m, int n, int k, bool accumulate)
    {
        fixed (float* pa = a, pb = b, pc = c)
        {
            // A(i, p): row-major m×k, or stored transposed (k×m).
            long rowStride = transposeA ? 1 : k, depthStride = transposeA ? m : 1;
            // Column strips outside, row blocks inside: a strip of B (k × 16 floats) stays in L1
            // while every row block of A passes over it.
            var strips = n / 16 * 16;
            for (var j = 0; j < strips; j += 16)
            {
                var i = 0;
                for (; i + 6 <= m; i += 6)
                {
                    Block6x16(pa + i * rowStride, rowStride, depthStride, pb + j, n, pc + (long)i * n + j, n, k, accumulate);
                }
                for (; i < m; i++)
                {
                    Row16(pa + i * rowStride, depthStride, pb + j, n, pc + (long)i * n + j, k, accumulate);
                }
            }
            for (var i = 0; i < m && strips < n; i++)
            {
                Columns(pa + i * rowStride, depthStride, pb, n, pc + (long)i * n, strips, k, accumulate);
            }
        }
    }

    /// <summary>C[0..6, 0..16) (+)= A[0..6, :]·B[:, 0..16).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x16(float* a, long rowStride, long depthStride, float* b, int ldb, float* c, int ldc, int k, bool accumulate)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (accumulate)
        {
            c00 = Avx.LoadVector256(c); c01 = Avx.LoadVector256(c + 8);
            c10 = Avx.LoadVector256(c + ldc); c11 = Avx.LoadVector256(c + ldc + 8);
            c20 = Avx.LoadVector256(c + 2 * ldc); c21 = Avx.LoadVector256(c + 2 * ldc + 8);
            c30 = Avx.LoadVector256(c + 3 * ldc); c31 = Avx.LoadVector256(c + 3 * ldc + 8);
            c40 = Avx.LoadVector256(c + 4 * ldc); c41 = Avx.LoadVector256(c + 4 * ldc + 8);
            c50 = Avx.LoadVector256(c + 5 * ldc); c51 = Avx.LoadVector256(c + 5 * ldc + 8);
        }
        else
        {
            c00 = c01 = c10 = c11 = c20 = c21 = c30 = c31 = c40 = c41 = c50 = c51 = Vector256<float>.Zero;
        }
        for (var p = 0; p < k; p++)
        {
            var row = b + (long)p * ldb;
            var b0 = Avx.LoadVector256(row);
            var b1 = Avx.LoadVector256(row + 8);
            var ap = a + p * depthStride;
            var x = Vector256.Create(ap[0]);
            c00 = Fma.MultiplyAdd(b0, x, c00); c01 = Fma.MultiplyAdd(b1, x, c01);
            x = Vector256.Create(ap[rowStride]);
            c10 = Fma.MultiplyAdd(b0, x, c10); c11 = Fma.MultiplyAdd(b1, x, c11);
            x = Vector256.Create(ap[2 * rowStride]);
            c20 = Fma.MultiplyAdd(b0, x, c20); c21 = Fma.MultiplyAdd(b1, x, c21);
            x = Vector256.Create(ap[3 * rowStride]);
            c30 = Fma.MultiplyAdd(b0, x, c30); c31 = Fma.MultiplyAdd(b1, x, c31);
            x = Vector256.Create(ap[4 * rowStride]);
            c40 = Fma.MultiplyAdd(b0, x, c40); c41 = Fma.MultiplyAdd(b1, x, c41);
            x = Vector256.Create(ap[5 * rowStride]);
            c50 = Fma.MultiplyAdd(b0, x, c50); c51 = Fma.MultiplyAdd(b1, x, c51);
        }
        Avx.Store(c, c00); Avx.Store(c + 8, c01);
        Avx.Store(c + ldc, c10); Avx.Store(c + ldc + 8, c11);
        Avx.Store(c + 2 * ldc, c20); Avx.Store(c + 2 * ldc + 8, c21);
        Avx.Store(c + 3 * ldc, c30); Avx.Store(c + 3 * ldc + 8, c31);
        Avx.Store(c + 4 * ldc, c40); Avx.Store(c + 4 * ldc + 8, c41);
        Avx.Store(c + 5 * ldc, c50); Avx.Store(c + 5 * ldc + 8, c51);
    }

    /// <summary>C[0, 0..16) (+)= A[0, :]·B[:, 0..16): a row left over below the 6-row blocks.</summary>
    private static void Row16(float* a, long depthStride, float* b, int ldb, float* c, int k, bool accumulate)
    {
        var c0 = accumulate ? Avx.LoadVector256(c) : Vector256<float>.Zero;
        var c1 = accumulate ? Avx.LoadVector256(c + 8) : Vector256<float>.Zero;
        for (var p = 0; p < k; p++)
        {
            var x = Vector256.Create(a[p * depthStride]);
            c0 = Fma.MultiplyAdd(Avx.LoadVector256(b + (long)p * ldb), x, c0);
            c1 = Fma.MultiplyAdd(Avx.LoadVector256(b + (long)p * ldb + 8), x, c1);
        }
        Avx.Store(c, c0);
        Avx.Store(c + 8, c1);
    }

    /// <summary>One row of C from column <paramref name="from"/> on: 8 columns at a time, then one by one.</summary>
    private static void Columns(float* a, long depthStride, float* b, int n, float* c, int from, int k, bool accumulate)
    {
        var j = from;
        for (; j + 8 <= n; j += 8)
        {
            var sum = accumulate ? Avx.LoadVector256(c + j) : Vector256<float>.Zero;
            for (var p = 0; p < k; p++)
            {
                sum = Fma.MultiplyAdd(Avx.LoadVector256(b + (long)p * n + j), Vector256.Create(a[p * depthStride]), sum);
            }
            Avx.Store(c + j, sum);
        }
        for (; j < n; j++)
        {
            var sum = accumulate ? c[j] : 0f;
            for (var p = 0; p < k; p++)
            {
                sum = MathF.FusedMultiplyAdd(a[p * depthStride], b[(long)p * n + j], sum);
            }
            c[j] = sum;
        }
    }
}
