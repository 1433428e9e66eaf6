using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

/// <summary>
/// Single-precision matrix product with AVX-512, blocked the GotoBLAS way. A is packed once into
/// 8-row micro-panels (p-major, so the kernel reads it sequentially) and, for every block of
/// <see cref="Kc"/> values of the inner dimension, a 32-column panel of B is packed into a buffer
/// that stays in L1 while every row tile of A streams past it. The micro-kernel keeps an 8×32 block
/// of C in 16 zmm registers. Packing also absorbs transposition and zero-pads ragged edges, so the
/// kernels never see a stride or a tail. Large products split their column panels over the cores.
/// </summary>
internal static unsafe class SgemmAvx512
{
    private const int Mr = 8;
    private const int Nr = 32;
    private const int Lanes = 16;
    private const int Kc = 128;

    /// <summary>Below this many multiply-adds a product stays on one core (thread hand-off costs more).</summary>
    private const long ParallelThreshold = 1 << 22;

    [ThreadStatic]
    private static float[]? t_packedA; // the zero-padded last row tile of A

    [ThreadStatic]
    private static float[]? t_packedB;

    [ThreadStatic]
    private static float[]? t_tile;

    /// <summary>True on threads that already run one of several parallel parts (no nested splitting).</summary>
    [ThreadStatic]
    internal static bool t_insideParallelPart;

    internal static void Multiply(
        ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, Span<float> c,
        int m, int n, int k, bool accumulate)
    {
        var tiles = (m + Mr - 1) / Mr;
        var panelWidth = n <= Lanes ? Lanes : Nr; // a narrow C (16 or 10 columns) uses the 8×16 kernel
        var panels = (n + panelWidth - 1) / panelWidth;
        var tailRows = m % Mr;
        var tail = t_packedA is { } t0 && t0.Length >= Mr * k ? t0 : (t_packedA = new float[Mr * k]);
        fixed (float* pa = a, pb = b, pc = c, pTail = tail)
        {
            if (tailRows > 0)
            {
                // The last rows (fewer than 8), copied row-major and zero-padded to a full tile.
                new Span<float>(pTail, Mr * k).Clear();
                for (var r = 0; r < tailRows; r++)
                {
                    var i = m - tailRows + r;
                    for (var p = 0; p < k; p++)
                    {
                        pTail[r * k + p] = transposeA ? pa[(nint)p * m + i] : pa[(nint)i * k + p];
                    }
                }
            }
            // A is read in place through strides: either way 8 rows of one p are cheap to reach.
            nint rowStride = transposeA ? 1 : k;
            nint colStride = transposeA ? m : 1;
            var job = new PanelJob(pa, rowStride, colStride, pTail, tiles, pb, transposeB, pc, m, n, k, panelWidth, accumulate);
            if ((long)m * n * k >= ParallelThreshold && panels >= 2 && !t_insideParallelPart && Environment.ProcessorCount > 1)
            {
                RunInParallel(job, panels);
            }
            else
            {
                job.Run(0, panels);
            }
        }
    }

    /// <summary>Splits the column panels over the cores (kept apart so the closure is only
    /// allocated on this path, never on the small products of a training step).</summary>
    private static void RunInParallel(PanelJob job, int panels)
    {
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

    /// <summary>The product restricted to a range of column panels of C.</summary>
    private readonly struct PanelJob(
        float* a, nint rowStride, nint colStride, float* tailA, int tiles, float* b, bool transposeB, float* c, int m, int n, int k, int panelWidth, bool accumulate)
    {
        public void Run(int firstPanel, int endPanel)
        {
            var blockLength = Math.Min(Kc, k) * panelWidth;
            var packedB = t_packedB is { } pb0 && pb0.Length >= blockLength ? pb0 : (t_packedB = new float[Math.Max(blockLength, Kc * Nr)]);
            var tile = t_tile ??= new float[Mr * Nr];
            fixed (float* pb = packedB, pt = tile)
            {
                for (var panel = firstPanel; panel < endPanel; panel++)
                {
                    var j = panel * panelWidth;
                    var width = Math.Min(panelWidth, n - j);
                    for (var p0 = 0; p0 < k; p0 += Kc)
                    {
                        var kc = Math.Min(Kc, k - p0);
                        PackB(j, width, p0, kc, pb);
                        var add = accumulate || p0 > 0;
                        for (var t = 0; t < tiles; t++)
                        {
                            var i = t * Mr;
                            var rows = Math.Min(Mr, m - i);
                            // The last, short tile reads its rows from a zero-padded copy.
                            var full = rows == Mr;
                            var aTile = full ? a + i * rowStride + p0 * colStride : tailA + p0;
                            var rs = full ? rowStride : k;
                            var cs = full ? colStride : 1;
                            var cTile = c + (nint)i * n + j;
                            if (rows == Mr && width == panelWidth)
                            {
                                Kernel(kc, aTile, rs, cs, pb, cTile, n, add);
                            }
                            else
                            {
                                // Ragged edge: compute the full tile aside, then keep the valid part.
                                Kernel(kc, aTile, rs, cs, pb, pt, panelWidth, add: false);
                                for (var r = 0; r < rows; r++)
                                {
                                    var src = pt + r * panelWidth;
                                    var dst = cTile + (nint)r * n;
                                    for (var x = 0; x < width; x++)
                                    {
                                        dst[x] = add ? dst[x] + src[x] : src[x];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }

        private void Kernel(int kc, float* aTile, nint rs, nint cs, float* bPanel, float* cTile, nint ldc, bool add)
        {
            if (panelWidth == Nr)
            {
                Kernel8x32(kc, aTile, rs, cs, bPanel, cTile, ldc, add);
            }
            else
            {
                Kernel8x16(kc, aTile, rs, cs, bPanel, cTile, ldc, add);
            }
        }

        /// <summary>Copies B[p0..p0+kc, j..j+width] (from B or the stored Bᵀ) into a p-major panel of
        /// <c>panelWidth</c> columns, zero beyond width.</summary>
        private void PackB(int j, int width, int p0, int kc, float* packed)
        {
            if (!transposeB)
            {
                for (var p = 0; p < kc; p++)
                {
                    var src = b + (nint)(p0 + p) * n + j;
                    var dst = packed + p * panelWidth;
                    if (width == Nr)
                    {
                        Vector512.Load(src).Store(dst);
                        Vector512.Load(src + Lanes).Store(dst + Lanes);
                        continue;
                    }
                    for (var x = 0; x < width; x++)
                    {
                        dst[x] = src[x];
                    }
                    for (var x = width; x < panelWidth; x++)
                    {
                        dst[x] = 0;
                    }
                }
                return;
            }
            // Stored Bᵀ is n×k: entry (p, j+x) sits at (j+x)·k + p, so the panel is a transpose of
            // rows j.. of Bᵀ. Whole 16×16 blocks are transposed in registers; the last p's (fewer
            // than 16) are gathered.
            var blocks = kc / Lanes * Lanes;
            for (var x0 = 0; x0 < panelWidth; x0 += Lanes)
            {
                var rows = Math.Clamp(width - x0, 0, Lanes); // rows of Bᵀ that exist for this half
                var source = b + (nint)(j + x0) * k + p0;
                for (var pb = 0; pb < blocks; pb += Lanes)
                {
                    Transpose16(source + pb, k, rows, packed + pb * panelWidth + x0, panelWidth);
                }
                if (blocks < kc)
                {
                    GatherColumns(source, rows, blocks, kc, packed + x0);
                }
            }
        }

        /// <summary>Packs p in [from, to) of up to 16 rows of Bᵀ with gathers (the ragged end of a K block).</summary>
        private void GatherColumns(float* source, int rows, int from, int to, float* packed)
        {
            var rowStarts = Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) * k;
            var valid = Vector512.LessThan(Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), Vector512.Create(rows));
            for (var p = from; p < to; p++)
            {
                (rows > 0 ? Gather(source + p, rowStarts, valid) : Vector512<float>.Zero).Store(packed + p * panelWidth);
            }
        }

        /// <summary>
        /// Writes the transpose of a 16×16 block (rows <paramref name="source"/> + i·<paramref name="stride"/>,
        /// only the first <paramref name="rows"/> exist; the rest read as zero) to 16 rows of
        /// <paramref name="destination"/> spaced <paramref name="destinationStride"/> apart: the
        /// classic unpack / 64-bit unpack / 128-bit shuffle sequence.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static void Transpose16(float* source, nint stride, int rows, float* destination, nint destinationStride)
        {
            Vector512<float> Row(int i) => i < rows ? Vector512.Load(source + i * stride) : Vector512<float>.Zero;
            var r0 = Row(0); var r1 = Row(1); var r2 = Row(2); var r3 = Row(3);
            var r4 = Row(4); var r5 = Row(5); var r6 = Row(6); var r7 = Row(7);
            var r8 = Row(8); var r9 = Row(9); var ra = Row(10); var rb = Row(11);
            var rc = Row(12); var rd = Row(13); var re = Row(14); var rf = Row(15);

            // 32-bit interleave of row pairs.
            var t0 = Avx512F.UnpackLow(r0, r1); var t1 = Avx512F.UnpackHigh(r0, r1);
            var t2 = Avx512F.UnpackLow(r2, r3); var t3 = Avx512F.UnpackHigh(r2, r3);
            var t4 = Avx512F.UnpackLow(r4, r5); var t5 = Avx512F.UnpackHigh(r4, r5);
            var t6 = Avx512F.UnpackLow(r6, r7); var t7 = Avx512F.UnpackHigh(r6, r7);
            var t8 = Avx512F.UnpackLow(r8, r9); var t9 = Avx512F.UnpackHigh(r8, r9);
            var ta = Avx512F.UnpackLow(ra, rb); var tb = Avx512F.UnpackHigh(ra, rb);
            var tc = Avx512F.UnpackLow(rc, rd); var td = Avx512F.UnpackHigh(rc, rd);
            var te = Avx512F.UnpackLow(re, rf); var tf = Avx512F.UnpackHigh(re, rf);

            // 64-bit interleave of those.
            r0 = Low64(t0, t2); r1 = High64(t0, t2); r2 = Low64(t1, t3); r3 = High64(t1, t3);
            r4 = Low64(t4, t6); r5 = High64(t4, t6); r6 = Low64(t5, t7); r7 = High64(t5, t7);
            r8 = Low64(t8, ta); r9 = High64(t8, ta); ra = Low64(t9, tb); rb = High64(t9, tb);
            rc = Low64(tc, te); rd = High64(tc, te); re = Low64(td, tf); rf = High64(td, tf);

            // 128-bit lanes, twice.
            t0 = Avx512F.Shuffle4x128(r0, r4, 0x88); t1 = Avx512F.Shuffle4x128(r1, r5, 0x88);
            t2 = Avx512F.Shuffle4x128(r2, r6, 0x88); t3 = Avx512F.Shuffle4x128(r3, r7, 0x88);
            t4 = Avx512F.Shuffle4x128(r0, r4, 0xdd); t5 = Avx512F.Shuffle4x128(r1, r5, 0xdd);
            t6 = Avx512F.Shuffle4x128(r2, r6, 0xdd); t7 = Avx512F.Shuffle4x128(r3, r7, 0xdd);
            t8 = Avx512F.Shuffle4x128(r8, rc, 0x88); t9 = Avx512F.Shuffle4x128(r9, rd, 0x88);
            ta = Avx512F.Shuffle4x128(ra, re, 0x88); tb = Avx512F.Shuffle4x128(rb, rf, 0x88);
            tc = Avx512F.Shuffle4x128(r8, rc, 0xdd); td = Avx512F.Shuffle4x128(r9, rd, 0xdd);
            te = Avx512F.Shuffle4x128(ra, re, 0xdd); tf = Avx512F.Shuffle4x128(rb, rf, 0xdd);

            Avx512F.Shuffle4x128(t0, t8, 0x88).Store(destination);
            Avx512F.Shuffle4x128(t1, t9, 0x88).Store(destination + destinationStride);
            Avx512F.Shuffle4x128(t2, ta, 0x88).Store(destination + 2 * destinationStride);
            Avx512F.Shuffle4x128(t3, tb, 0x88).Store(destination + 3 * destinationStride);
            Avx512F.Shuffle4x128(t4, tc, 0x88).Store(destination + 4 * destinationStride);
            Avx512F.Shuffle4x128(t5, td, 0x88).Store(destination + 5 * destinationStride);
            Avx512F.Shuffle4x128(t6, te, 0x88).Store(destination + 6 * destinationStride);
            Avx512F.Shuffle4x128(t7, tf, 0x88).Store(destination + 7 * destinationStride);
            Avx512F.Shuffle4x128(t0, t8, 0xdd).Store(destination + 8 * destinationStride);
            Avx512F.Shuffle4x128(t1, t9, 0xdd).Store(destination + 9 * destinationStride);
            Avx512F.Shuffle4x128(t2, ta, 0xdd).Store(destination + 10 * destinationStride);
            Avx512F.Shuffle4x128(t3, tb, 0xdd).Store(destination + 11 * destinationStride);
            Avx512F.Shuffle4x128(t4, tc, 0xdd).Store(destination + 12 * destinationStride);
            Avx512F.Shuffle4x128(t5, td, 0xdd).Store(destination + 13 * destinationStride);
            Avx512F.Shuffle4x128(t6, te, 0xdd).Store(destination + 14 * destinationStride);
            Avx512F.Shuffle4x128(t7, tf, 0xdd).Store(destination + 15 * destinationStride);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Low64(Vector512<float> a, Vector512<float> b) =>
            Avx512F.UnpackLow(a.AsDouble(), b.AsDouble()).AsSingle();

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> High64(Vector512<float> a, Vector512<float> b) =>
            Avx512F.UnpackHigh(a.AsDouble(), b.AsDouble()).AsSingle();

        /// <summary>Loads source[offsets[i]] for the lanes in <paramref name="valid"/>, 0 elsewhere
        /// (invalid lanes read offset 0 — the panel's first column, in bounds — and are masked out).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<float> Gather(float* source, Vector512<int> offsets, Vector512<int> valid)
        {
            var safe = offsets & valid;
            if (Avx2.IsSupported)
            {
                var lower = Avx2.GatherVector256(source, safe.GetLower(), 4);
                var upper = Avx2.GatherVector256(source, safe.GetUpper(), 4);
                return Vector512.Create(lower, upper) & valid.AsSingle();
            }
            var result = Vector512<float>.Zero;
            for (var i = 0; i < Lanes; i++)
            {
                result = result.WithElement(i, source[safe[i]]);
            }
            return result & valid.AsSingle();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel8x32(int k, float* a, nint rs, nint cs, float* b, float* c, nint ldc, bool accumulate)
    {
        nint rs2 = rs * 2, rs3 = rs * 3, rs4 = rs * 4, rs5 = rs * 5, rs6 = rs * 6, rs7 = rs * 7;
        Vector512<float> c00 = default, c01 = default, c10 = default, c11 = default;
        Vector512<float> c20 = default, c21 = default, c30 = default, c31 = default;
        Vector512<float> c40 = default, c41 = default, c50 = default, c51 = default;
        Vector512<float> c60 = default, c61 = default, c70 = default, c71 = default;
        for (var p = 0; p < k; p++)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + Lanes);
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
            b += Nr;
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
    private static void Kernel8x16(int k, float* a, nint rs, nint cs, float* b, float* c, nint ldc, bool accumulate)
    {
        nint rs2 = rs * 2, rs3 = rs * 3, rs4 = rs * 4, rs5 = rs * 5, rs6 = rs * 6, rs7 = rs * 7;
        // Two accumulator sets (even and odd p) hide the FMA latency with only one vector per row.
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default;
        Vector512<float> c4 = default, c5 = default, c6 = default, c7 = default;
        Vector512<float> d0 = default, d1 = default, d2 = default, d3 = default;
        Vector512<float> d4 = default, d5 = default, d6 = default, d7 = default;
        var p = 0;
        for (; p + 2 <= k; p += 2)
        {
            var b0 = Vector512.Load(b);
            var b1 = Vector512.Load(b + Lanes);
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
            b += 2 * Lanes;
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
