using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

// Packing of B into p-major panels: a plain copy for row-major B, 16×16 register transposes for a
// stored Bᵀ (so X·Wᵀ costs what X·W does).
internal static unsafe partial class SgemmAvx512
{
    private readonly partial struct PanelJob
    {
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
}
