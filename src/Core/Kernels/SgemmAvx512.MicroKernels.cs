using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DistTrain.Core.Kernels;

// The register-tile micro-kernels: C[8×32] or C[8×16] += A[8×k]·B[k×32|16] with A read through
// strides and B from a packed panel.
internal static unsafe partial class SgemmAvx512
{
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
