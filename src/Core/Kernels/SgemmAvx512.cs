using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

/// <summary>
/// Single-precision matrix product with AVX-512, blocked the GotoBLAS way. For every block of
/// <see cref="Kc"/> values of the inner dimension, a 32-column panel of B is packed (p-major,
/// transposing a stored Bᵀ in registers, zero-padding a ragged edge) into a buffer that stays in L1
/// while every 8-row tile of A streams past it; A is read in place through its strides (a transposed
/// A needs no copy), except the last short tile, copied zero-padded. The micro-kernel keeps an 8×32
/// block of C in 16 zmm registers. Large products split their column panels over the cores.
/// </summary>
internal static unsafe partial class SgemmAvx512
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
        // Only a product with a short last tile needs the buffer. Rounded up to 1024, because k varies
        // from step to step when a layer skips zero input columns, and growing to every new maximum
        // would allocate now and then for epochs (with up to 1024 inputs it never grows again).
        var tail = tailRows == 0 ? [] : t_packedA is { } t0 && t0.Length >= Mr * k ? t0 : (t_packedA = new float[Mr * RoundUp(k, 1024)]);
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

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;

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
    private readonly partial struct PanelJob(
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
    }
}
