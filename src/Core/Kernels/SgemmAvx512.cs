using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace DistTrain.Core.Kernels;

/// <summary>
/// Single-precision matrix product with AVX-512 register tiles: a micro-kernel keeps an 8×32 block
/// of C in 16 zmm registers and, for every p, broadcasts 8 entries of A and fused-multiply-adds
/// them with two vectors of B's row p. B must be row-major k×n (a transposed B is copied once);
/// A is read through strides, so a transposed A needs no copy. Large products split their column
/// panels over the cores.
/// </summary>
internal static unsafe class SgemmAvx512
{
    private const int Mr = 8;
    private const int Nr = 32;
    private const int Lanes = 16;

    /// <summary>Below this many multiply-adds a product stays on one core (thread hand-off costs more).</summary>
    private const long ParallelThreshold = 1 << 22;

    [ThreadStatic]
    private static float[]? t_transposedB;

    [ThreadStatic]
    private static float[]? t_panel;

    [ThreadStatic]
    private static float[]? t_tile;

    /// <summary>True on threads that already run one of several parallel parts (no nested splitting).</summary>
    [ThreadStatic]
    internal static bool t_insideParallelPart;

    internal static void Multiply(
        ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, Span<float> c,
        int m, int n, int k, bool accumulate)
    {
        if (transposeB)
        {
            var buffer = t_transposedB is { } tb && tb.Length >= k * n ? tb : (t_transposedB = new float[k * n]);
            PortableGemm.Transpose(b, n, k, buffer);
            b = buffer.AsSpan(0, k * n);
        }
        nint rowStride = transposeA ? 1 : k;
        nint colStride = transposeA ? m : 1;
        var panels = (n + Nr - 1) / Nr;
        fixed (float* pa = a, pb = b, pc = c)
        {
            if ((long)m * n * k >= ParallelThreshold && panels >= 2 && !t_insideParallelPart && Environment.ProcessorCount > 1)
            {
                var job = new PanelJob(pa, rowStride, colStride, pb, pc, m, n, k, accumulate);
                var parts = Math.Min(Environment.ProcessorCount, panels);
                Parallel.For(0, parts, part =>
                {
                    t_insideParallelPart = true;
                    try
                    {
                        job.Run(panels * part / parts, panels * (part + 1) / parts);
                    }
                    finally
                    {
                        t_insideParallelPart = false;
                    }
                });
            }
            else
            {
                new PanelJob(pa, rowStride, colStride, pb, pc, m, n, k, accumulate).Run(0, panels);
            }
        }
    }

    /// <summary>The product restricted to a range of 32-column panels of C.</summary>
    private readonly struct PanelJob(float* a, nint rowStride, nint colStride, float* b, float* c, int m, int n, int k, bool accumulate)
    {
        public void Run(int firstPanel, int endPanel)
        {
            for (var panel = firstPanel; panel < endPanel; panel++)
            {
                var j = panel * Nr;
                var width = Math.Min(Nr, n - j);
                if (width == Nr || width == Lanes)
                {
                    RowTiles(b + j, n, c + j, n, width, full32: width == Nr);
                }
                else
                {
                    // Tail columns: multiply against a zero-padded copy of B's last columns.
                    var padded = width > Lanes ? Nr : Lanes;
                    var buffer = t_panel is { } tp && tp.Length >= k * padded ? tp : (t_panel = new float[Math.Max(k * padded, k * Nr)]);
                    fixed (float* pp = buffer)
                    {
                        for (var p = 0; p < k; p++)
                        {
                            var dst = new Span<float>(pp + p * padded, padded);
                            new ReadOnlySpan<float>(b + (nint)p * n + j, width).CopyTo(dst);
                            dst[width..].Clear();
                        }
                        RowTiles(pp, padded, c + j, n, width, full32: padded == Nr);
                    }
                }
            }
        }

        /// <summary>All row tiles of one panel; <paramref name="width"/> valid columns of C.</summary>
        private void RowTiles(float* panel, nint ldb, float* cPanel, nint ldc, int width, bool full32)
        {
            var tile = t_tile ??= new float[Mr * Nr];
            fixed (float* pt = tile)
            {
                var i = 0;
                for (; i + Mr <= m; i += Mr)
                {
                    var ai = a + i * rowStride;
                    var ci = cPanel + i * ldc;
                    if (width == Nr)
                    {
                        Kernel8x32(k, ai, rowStride, colStride, panel, ldb, ci, ldc, accumulate);
                    }
                    else if (width == Lanes && !full32)
                    {
                        Kernel8x16(k, ai, rowStride, colStride, panel, ldb, ci, ldc, accumulate);
                    }
                    else
                    {
                        // Compute into a full tile, then copy the valid columns out.
                        if (full32)
                        {
                            Kernel8x32(k, ai, rowStride, colStride, panel, ldb, pt, Nr, accumulate: false);
                        }
                        else
                        {
                            Kernel8x16(k, ai, rowStride, colStride, panel, ldb, pt, Nr, accumulate: false);
                        }
                        for (var r = 0; r < Mr; r++)
                        {
                            CopyOut(pt + r * Nr, ci + r * ldc, width, accumulate);
                        }
                    }
                }
                for (; i < m; i++)
                {
                    // Leftover rows (fewer than 8): one row at a time.
                    KernelRow(k, a + i * rowStride, colStride, panel, ldb, pt, full32 ? Nr : Lanes);
                    CopyOut(pt, cPanel + i * ldc, width, accumulate);
                }
            }
        }
    }

    private static void CopyOut(float* source, float* destination, int width, bool accumulate)
    {
        for (var x = 0; x < width; x++)
        {
            destination[x] = accumulate ? destination[x] + source[x] : source[x];
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int k, float* a, nint rs, nint cs, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        nint rs2 = rs * 2, rs3 = rs * 3, rs4 = rs * 4, rs5 = rs * 5, rs6 = rs * 6, rs7 = rs * 7;
        for (var p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + Lanes);
            b += ldb;
            var x = Vector512.Create(a[0]);
            c00 = Vector512.FusedMultiplyAdd(x, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(x, b1, c01);
            x = Vector512.Create(a[rs]);
            c10 = Vector512.FusedMultiplyAdd(x, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(x, b1, c11);
            x = Vector512.Create(a[rs2]);
            c20 = Vector512.FusedMultiplyAdd(x, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(x, b1, c21);
            x = Vector512.Create(a[rs3]);
            c30 = Vector512.FusedMultiplyAdd(x, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(x, b1, c31);
            x = Vector512.Create(a[rs4]);
            c40 = Vector512.FusedMultiplyAdd(x, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(x, b1, c41);
            x = Vector512.Create(a[rs5]);
            c50 = Vector512.FusedMultiplyAdd(x, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(x, b1, c51);
            x = Vector512.Create(a[rs6]);
            c60 = Vector512.FusedMultiplyAdd(x, b0, c60);
            c61 = Vector512.FusedMultiplyAdd(x, b1, c61);
            x = Vector512.Create(a[rs7]);
            c70 = Vector512.FusedMultiplyAdd(x, b0, c70);
            c71 = Vector512.FusedMultiplyAdd(x, b1, c71);
            a += cs;
        }
        Store(c, c00, c01, accumulate);
        Store(c + ldc, c10, c11, accumulate);
        Store(c + 2 * ldc, c20, c21, accumulate);
        Store(c + 3 * ldc, c30, c31, accumulate);
        Store(c + 4 * ldc, c40, c41, accumulate);
        Store(c + 5 * ldc, c50, c51, accumulate);
        Store(c + 6 * ldc, c60, c61, accumulate);
        Store(c + 7 * ldc, c70, c71, accumulate);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x16(int k, float* a, nint rs, nint cs, float* b, nint ldb, float* c, nint ldc, bool accumulate)
    {
        // Two independent accumulator sets (even and odd p) hide the FMA latency with only 8 rows.
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        Vector512<float> d4 = default, d5 = default, d6 = default, d7 = default;
        nint rs2 = rs * 2, rs3 = rs * 3, rs4 = rs * 4, rs5 = rs * 5, rs6 = rs * 6, rs7 = rs * 7;
        var p = 0;
        for (; p + 2 <= k; p += 2)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + ldb);
            b += 2 * ldb;
            var a1 = a + cs;
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            d0 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[0]), b1, d0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs]), b0, c1);
            d1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[rs]), b1, d1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs2]), b0, c2);
            d2 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[rs2]), b1, d2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs3]), b0, c3);
            d3 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[rs3]), b1, d3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs4]), b0, c4);
            d4 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[rs4]), b1, d4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs5]), b0, c5);
            d5 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[rs5]), b1, d5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs6]), b0, c6);
            d6 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[rs6]), b1, d6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs7]), b0, c7);
            d7 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[rs7]), b1, d7);
            a += 2 * cs;
        }
        if (p < k)
        {
            var b0 = Vector512.Load(b);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(a[0]), b0, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs]), b0, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs2]), b0, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs3]), b0, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs4]), b0, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs5]), b0, c5);
            c6 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs6]), b0, c6);
            c7 = Vector512.FusedMultiplyAdd(Vector512.Create(a[rs7]), b0, c7);
        }
        Store(c, c0 + d0, accumulate);
        Store(c + ldc, c1 + d1, accumulate);
        Store(c + 2 * ldc, c2 + d2, accumulate);
        Store(c + 3 * ldc, c3 + d3, accumulate);
        Store(c + 4 * ldc, c4 + d4, accumulate);
        Store(c + 5 * ldc, c5 + d5, accumulate);
        Store(c + 6 * ldc, c6 + d6, accumulate);
        Store(c + 7 * ldc, c7 + d7, accumulate);
    }

    /// <summary>One row of C over <paramref name="width"/> (16 or 32) columns, into <paramref name="c"/>.</summary>
    private static void KernelRow(int k, float* a, nint cs, float* b, nint ldb, float* c, int width)
    {
        Vector512<float> c0 = default, c1 = default;
        for (var p = 0; p < k; p++)
        {
            var x = Vector512.Create(*a);
            c0 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b), c0);
            if (width == Nr)
            {
                c1 = Vector512.FusedMultiplyAdd(x, Vector512.Load(b + Lanes), c1);
            }
            a += cs;
            b += ldb;
        }
        c0.Store(c);
        if (width == Nr)
        {
            c1.Store(c + Lanes);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, Vector512<float> v1, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
            v1 += Vector512.Load(c + Lanes);
        }
        v0.Store(c);
        v1.Store(c + Lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(float* c, Vector512<float> v0, bool accumulate)
    {
        if (accumulate)
        {
            v0 += Vector512.Load(c);
        }
        v0.Store(c);
    }
}
