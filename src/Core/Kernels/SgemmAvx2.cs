using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

/// <summary>
/// C (+)= op(A)·op(B) for float32 on CPUs with AVX2 and FMA but no AVX-512.
/// <para>
/// B is packed, one panel or four just before they are used, into panels of 16 columns, each k×16
/// floats and contiguous (the last one padded with zeros), read from either layout of B: a panel then
/// streams from L1/L2 in order, where B's own rows, 1 KB or more apart, would fight over a few cache
/// sets, and a stored Bᵀ needs no transpose of its own. Then one of two loops:
/// </para>
/// <list type="bullet">
/// <item>dense A: a 6×16 micro-kernel keeps a 6-row block of one panel of C in 12 ymm registers while
/// it walks k, broadcasting one entry of A per row: 12 FMAs per 2 loads, the classic Haswell shape;</item>
/// <item>A mostly zeros (MNIST's pixels, ReLU's zeros): each row of A is gathered once into its
/// nonzero entries, and only those are multiplied, against 4 panels at a time (8 independent sums,
/// enough to hide the FMA latency).</item>
/// </list>
/// Either way every C(i, j) is the same chain of FMAs over the nonzero p in ascending order (an FMA
/// with a zero of A leaves the sum as it is), so a result does not depend on the loop that computed
/// it, nor on how many rows were multiplied with it: a worker's shard gets the bits a replica of the
/// single-process trainer gets for the same rows.
/// </summary>
internal static unsafe class SgemmAvx2
{
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    private const int Nr = 16;

    /// <summary>The share of zeros in A from which the gathering loop beats the dense one (measured on a
    /// Zen 3 EPYC at MNIST's shapes: level at about 0.6 – 0.7 for 256 or 650 columns, 2× faster at
    /// 0.8; a 10-column product is faster dense at any share).</summary>
    public const double SparseFrom = 0.7;

    /// <summary>Columns below which the dense loop always wins (the gathering loop's wide kernel spans 64).</summary>
    public const int SparseMinColumns = 64;

    /// <summary>For tests: null chooses by the share of zeros; true or false forces a loop (per thread).</summary>
    [ThreadStatic]
    internal static bool? ForceSparse;

    public static void Multiply(ReadOnlySpan<float> a, bool transposeA, ReadOnlySpan<float> b, bool transposeB, Span<float> c,
        int m, int n, int k, bool accumulate, double zeroShare)
    {
        var scratch = Scratch.For(m, k);
        fixed (float* pa = a, pb = b, pc = c, pp = scratch.Panels, pv = scratch.Values)
        fixed (int* pd = scratch.Depths, pn = scratch.Counts)
        {
            var bPanels = new PackedB(pb, transposeB, n, k, pp);
            if (ForceSparse ?? (zeroShare >= SparseFrom && n >= SparseMinColumns))
            {
                Gather(pa, transposeA, m, k, pv, pd, pn);
                MultiplySparse(new Gathered(pv, pd, pn, k), bPanels, pc, m, n, k, accumulate);
            }
            else
            {
                // A(i, p): row-major m×k, or stored transposed (k×m).
                long rowStride = transposeA ? 1 : k, depthStride = transposeA ? m : 1;
                MultiplyDense(pa, rowStride, depthStride, bPanels, pc, m, n, k, accumulate);
            }
        }
    }

    /// <summary>
    /// This thread's buffers: 4 panels of B, and A's nonzeros row by row. Their sizes depend only on
    /// m and k rounded up (m to 256, k to 1,024), and both are made at a thread's first product
    /// whichever loop it takes: a layer whose count of used input columns grows, or whose batch turns
    /// sparse, does not allocate in a later step.
    /// </summary>
    private sealed class Scratch
    {
        [ThreadStatic]
        private static Scratch? t_scratch;

        private Scratch(int rows, int depths)
        {
            Rows = rows;
            DepthRoom = depths;
            Panels = GC.AllocateUninitializedArray<float>(depths * 4 * Nr);
            Values = GC.AllocateUninitializedArray<float>(rows * depths);
            Depths = GC.AllocateUninitializedArray<int>(rows * depths);
            Counts = new int[rows];
        }

        public int Rows { get; }

        public int DepthRoom { get; }

        public float[] Panels { get; }

        public float[] Values { get; }

        public int[] Depths { get; }

        public int[] Counts { get; }

        public static Scratch For(int m, int k) =>
            t_scratch is { } s && s.Rows >= m && s.DepthRoom >= k
                ? s
                : t_scratch = new Scratch(Math.Max((m + 255) / 256 * 256, t_scratch?.Rows ?? 0), Math.Max((k + 1023) / 1024 * 1024, t_scratch?.DepthRoom ?? 0));
    }

    /// <summary>B, and a buffer into which panels of it are packed, a few at a time, just before use.</summary>
    private readonly struct PackedB(float* b, bool transposed, int n, int k, float* buffer)
    {
        /// <summary>Packs panels [first, first + count) and returns where panel first is (the others follow, k·16 apart).</summary>
        public float* Pack(int first, int count)
        {
            for (var r = 0; r < count; r++)
            {
                PackPanel(b, transposed, buffer + (long)r * k * Nr, n, k, (first + r) * Nr);
            }
            return buffer;
        }
    }

    /// <summary>A's nonzero entries: row i's values and depths (premultiplied by 16) from slot i·k, and their count.</summary>
    private readonly struct Gathered(float* values, int* depths, int* counts, int k)
    {
        public float* Values(int i) => values + (long)i * k;

        public int* Depths(int i) => depths + (long)i * k;

        public int Count(int i) => counts[i];
    }

    /// <summary>The panel of B's columns [j0, j0 + 16): B(p, j0 + jj) at panel[p·16 + jj]; columns past n are zeros.</summary>
    private static void PackPanel(float* b, bool transposed, float* panel, int n, int k, int j0)
    {
        var width = Math.Min(Nr, n - j0);
        if (!transposed)
        {
            // B is k×n: each p's 16 columns are contiguous already.
            for (var p = 0; p < k; p++)
            {
                var from = b + (long)p * n + j0;
                var to = panel + p * Nr;
                if (width == Nr)
                {
                    Avx.Store(to, Avx.LoadVector256(from));
                    Avx.Store(to + 8, Avx.LoadVector256(from + 8));
                }
                else
                {
                    for (var jj = 0; jj < Nr; jj++)
                    {
                        to[jj] = jj < width ? from[jj] : 0f;
                    }
                }
            }
        }
        else
        {
            // B is stored n×k (row j holds B(·, j)): 8×8 blocks transposed in registers, the
            // rest (k mod 8, a narrow panel) one value at a time.
            for (var jb = 0; jb < Nr; jb += 8)
            {
                var p = 0;
                if (jb + 8 <= width)
                {
                    for (; p + 8 <= k; p += 8)
                    {
                        Transpose8x8(b + (long)(j0 + jb) * k + p, k, panel + p * Nr + jb, Nr);
                    }
                }
                for (; p < k; p++)
                {
                    for (var jj = jb; jj < jb + 8; jj++)
                    {
                        panel[p * Nr + jj] = jj < width ? b[(long)(j0 + jj) * k + p] : 0f;
                    }
                }
            }
        }
    }

    /// <summary>Writes the transpose of the 8×8 block at <paramref name="source"/> (rows
    /// <paramref name="sourceStride"/> apart) to <paramref name="destination"/>.</summary>
    private static void Transpose8x8(float* source, long sourceStride, float* destination, long destinationStride)
    {
        var r0 = Avx.LoadVector256(source);
        var r1 = Avx.LoadVector256(source + sourceStride);
        var r2 = Avx.LoadVector256(source + 2 * sourceStride);
        var r3 = Avx.LoadVector256(source + 3 * sourceStride);
        var r4 = Avx.LoadVector256(source + 4 * sourceStride);
        var r5 = Avx.LoadVector256(source + 5 * sourceStride);
        var r6 = Avx.LoadVector256(source + 6 * sourceStride);
        var r7 = Avx.LoadVector256(source + 7 * sourceStride);
        // Pairs of rows interleaved, then pairs of pairs, then the 128-bit halves swapped into place.
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var s0 = Avx.Shuffle(t0, t2, 0x44); var s1 = Avx.Shuffle(t0, t2, 0xEE);
        var s2 = Avx.Shuffle(t1, t3, 0x44); var s3 = Avx.Shuffle(t1, t3, 0xEE);
        var s4 = Avx.Shuffle(t4, t6, 0x44); var s5 = Avx.Shuffle(t4, t6, 0xEE);
        var s6 = Avx.Shuffle(t5, t7, 0x44); var s7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(destination, Avx.Permute2x128(s0, s4, 0x20));
        Avx.Store(destination + destinationStride, Avx.Permute2x128(s1, s5, 0x20));
        Avx.Store(destination + 2 * destinationStride, Avx.Permute2x128(s2, s6, 0x20));
        Avx.Store(destination + 3 * destinationStride, Avx.Permute2x128(s3, s7, 0x20));
        Avx.Store(destination + 4 * destinationStride, Avx.Permute2x128(s0, s4, 0x31));
        Avx.Store(destination + 5 * destinationStride, Avx.Permute2x128(s1, s5, 0x31));
        Avx.Store(destination + 6 * destinationStride, Avx.Permute2x128(s2, s6, 0x31));
        Avx.Store(destination + 7 * destinationStride, Avx.Permute2x128(s3, s7, 0x31));
    }

    private static void MultiplyDense(float* a, long rowStride, long depthStride, PackedB b, float* c, int m, int n, int k, bool accumulate)
    {
        // Panels outside, row blocks inside: one panel (k × 16 floats) stays in cache while every
        // row block of A passes over it.
        for (var j0 = 0; j0 < n; j0 += Nr)
        {
            var panel = b.Pack(j0 / Nr, 1);
            var width = Math.Min(Nr, n - j0);
            var i = 0;
            for (; i + 6 <= m; i += 6)
            {
                Block6(a + i * rowStride, rowStride, depthStride, panel, c + (long)i * n + j0, n, width, k, accumulate);
            }
            for (; i < m; i++)
            {
                Row16(a + i * rowStride, depthStride, panel, c + (long)i * n + j0, width, k, accumulate);
            }
        }
    }

    /// <summary>C[0..6, 0..width) (+)= A[0..6, :]·panel; a narrow panel goes through a 6×16 tile.</summary>
    private static void Block6(float* a, long rowStride, long depthStride, float* panel, float* c, int ldc, int width, int k, bool accumulate)
    {
        if (width == Nr)
        {
            Block6x16(a, rowStride, depthStride, panel, c, ldc, k, accumulate);
            return;
        }
        var tile = stackalloc float[6 * Nr];
        for (var r = 0; r < 6; r++)
        {
            for (var j = 0; j < Nr; j++)
            {
                tile[r * Nr + j] = accumulate && j < width ? c[r * ldc + j] : 0f;
            }
        }
        Block6x16(a, rowStride, depthStride, panel, tile, Nr, k, accumulate: true);
        for (var r = 0; r < 6; r++)
        {
            for (var j = 0; j < width; j++)
            {
                c[r * ldc + j] = tile[r * Nr + j];
            }
        }
    }

    /// <summary>C[0..6, 0..16) (+)= A[0..6, :]·panel.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block6x16(float* a, long rowStride, long depthStride, float* panel, float* c, int ldc, int k, bool accumulate)
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
            var row = panel + p * Nr;
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

    /// <summary>C[0, 0..width) (+)= A[0, :]·panel: the rows below the last 6-row block.</summary>
    private static void Row16(float* a, long depthStride, float* panel, float* c, int width, int k, bool accumulate)
    {
        var (c0, c1) = Load16(c, width, accumulate);
        for (var p = 0; p < k; p++)
        {
            var x = Vector256.Create(a[p * depthStride]);
            c0 = Fma.MultiplyAdd(Avx.LoadVector256(panel + p * Nr), x, c0);
            c1 = Fma.MultiplyAdd(Avx.LoadVector256(panel + p * Nr + 8), x, c1);
        }
        Store16(c, width, c0, c1);
    }

    private static void MultiplySparse(Gathered a, PackedB b, float* c, int m, int n, int k, bool accumulate)
    {
        // Groups of 4 panels outside, rows inside: the group (4·k·16 floats) stays in L2 while
        // every row's nonzeros pick their rows of it.
        var panels = (n + Nr - 1) / Nr;
        var q = 0;
        for (; q + 4 <= panels && (q + 4) * Nr <= n; q += 4)
        {
            var group = b.Pack(q, 4);
            for (var i = 0; i < m; i++)
            {
                Sparse64(a.Values(i), a.Depths(i), a.Count(i), group, k * Nr, c + (long)i * n + q * Nr, accumulate);
            }
        }
        for (; q < panels; q++)
        {
            var panel = b.Pack(q, 1);
            var width = Math.Min(Nr, n - q * Nr);
            for (var i = 0; i < m; i++)
            {
                Sparse16(a.Values(i), a.Depths(i), a.Count(i), panel, c + (long)i * n + q * Nr, width, accumulate);
            }
        }
    }

    /// <summary>
    /// Row i's nonzero entries of op(A), ascending in p, into values/depths from slot i·k (depths
    /// premultiplied by 16, a panel's row length), and their count. A is read as stored, 8 values
    /// at a time: a run of zeros (MNIST's borders) costs one compare, and no branch depends on
    /// single values, which a random pattern of ReLU zeros would mispredict half the time.
    /// </summary>
    private static void Gather(float* a, bool transposed, int m, int k, float* values, int* depths, int* counts)
    {
        // Stored as `rows`×`cols`; entry (r, s) is A(i = r, p = s), or A(i = s, p = r) when transposed.
        int rows = transposed ? k : m, cols = transposed ? m : k;
        new Span<int>(counts, m).Clear();
        for (var r = 0; r < rows; r++)
        {
            var row = a + (long)r * cols;
            var s = 0;
            for (; s + 8 <= cols; s += 8)
            {
                var mask = (uint)Avx.MoveMask(Avx.CompareNotEqual(Avx.LoadVector256(row + s), Vector256<float>.Zero));
                while (mask != 0)
                {
                    var t = s + System.Numerics.BitOperations.TrailingZeroCount(mask);
                    Append(transposed ? t : r, transposed ? r : t, row[t], k, values, depths, counts);
                    mask &= mask - 1;
                }
            }
            for (; s < cols; s++)
            {
                if (row[s] != 0f)
                {
                    Append(transposed ? s : r, transposed ? r : s, row[s], k, values, depths, counts);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Append(int i, int p, float x, int k, float* values, int* depths, int* counts)
    {
        var slot = (long)i * k + counts[i]++;
        values[slot] = x;
        depths[slot] = p * Nr;
    }

    /// <summary>C[i, 0..64) (+)= Σ over the row's nonzeros x at depth p of x·(4 panels' rows p).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Sparse64(float* values, int* depths, int count, float* panel, int panelStride, float* c, bool accumulate)
    {
        Vector256<float> s0, s1, s2, s3, s4, s5, s6, s7;
        if (accumulate)
        {
            s0 = Avx.LoadVector256(c); s1 = Avx.LoadVector256(c + 8);
            s2 = Avx.LoadVector256(c + 16); s3 = Avx.LoadVector256(c + 24);
            s4 = Avx.LoadVector256(c + 32); s5 = Avx.LoadVector256(c + 40);
            s6 = Avx.LoadVector256(c + 48); s7 = Avx.LoadVector256(c + 56);
        }
        else
        {
            s0 = s1 = s2 = s3 = s4 = s5 = s6 = s7 = Vector256<float>.Zero;
        }
        float* p1 = panel + panelStride, p2 = p1 + panelStride, p3 = p2 + panelStride;
        for (var t = 0; t < count; t++)
        {
            var x = Vector256.Create(values[t]);
            var d = depths[t];
            s0 = Fma.MultiplyAdd(Avx.LoadVector256(panel + d), x, s0); s1 = Fma.MultiplyAdd(Avx.LoadVector256(panel + d + 8), x, s1);
            s2 = Fma.MultiplyAdd(Avx.LoadVector256(p1 + d), x, s2); s3 = Fma.MultiplyAdd(Avx.LoadVector256(p1 + d + 8), x, s3);
            s4 = Fma.MultiplyAdd(Avx.LoadVector256(p2 + d), x, s4); s5 = Fma.MultiplyAdd(Avx.LoadVector256(p2 + d + 8), x, s5);
            s6 = Fma.MultiplyAdd(Avx.LoadVector256(p3 + d), x, s6); s7 = Fma.MultiplyAdd(Avx.LoadVector256(p3 + d + 8), x, s7);
        }
        Avx.Store(c, s0); Avx.Store(c + 8, s1);
        Avx.Store(c + 16, s2); Avx.Store(c + 24, s3);
        Avx.Store(c + 32, s4); Avx.Store(c + 40, s5);
        Avx.Store(c + 48, s6); Avx.Store(c + 56, s7);
    }

    /// <summary>One panel of <see cref="Sparse64"/>: the last panels of a row, and narrow ones.</summary>
    private static void Sparse16(float* values, int* depths, int count, float* panel, float* c, int width, bool accumulate)
    {
        var (s0, s1) = Load16(c, width, accumulate);
        for (var t = 0; t < count; t++)
        {
            var x = Vector256.Create(values[t]);
            s0 = Fma.MultiplyAdd(Avx.LoadVector256(panel + depths[t]), x, s0);
            s1 = Fma.MultiplyAdd(Avx.LoadVector256(panel + depths[t] + 8), x, s1);
        }
        Store16(c, width, s0, s1);
    }

    /// <summary>C's first <paramref name="width"/> (≤ 16) floats as two vectors, zeros past them (or
    /// zeros throughout when not accumulating).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float>, Vector256<float>) Load16(float* c, int width, bool accumulate)
    {
        if (!accumulate)
        {
            return (Vector256<float>.Zero, Vector256<float>.Zero);
        }
        if (width == Nr)
        {
            return (Avx.LoadVector256(c), Avx.LoadVector256(c + 8));
        }
        var tail = stackalloc float[Nr];
        for (var j = 0; j < Nr; j++)
        {
            tail[j] = j < width ? c[j] : 0f;
        }
        return (Avx.LoadVector256(tail), Avx.LoadVector256(tail + 8));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store16(float* c, int width, Vector256<float> c0, Vector256<float> c1)
    {
        if (width == Nr)
        {
            Avx.Store(c, c0);
            Avx.Store(c + 8, c1);
            return;
        }
        var tail = stackalloc float[Nr];
        Avx.Store(tail, c0);
        Avx.Store(tail + 8, c1);
        for (var j = 0; j < width; j++)
        {
            c[j] = tail[j];
        }
    }
}
