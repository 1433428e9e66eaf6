using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

/// <summary>The SIMD matrix products against a scalar triple loop, over every ragged edge.</summary>
public class GemmTests
{
    private static float[] Random(int n, int seed)
    {
        var r = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
    }

    /// <summary>The oracle: C (+)= op(A)·op(B) in double, one element at a time.</summary>
    private static double[] Reference(float[] a, bool ta, float[] b, bool tb, float[] c0, int m, int n, int k, bool accumulate)
    {
        var c = new double[m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                double sum = accumulate ? c0[i * n + j] : 0;
                for (var p = 0; p < k; p++)
                {
                    sum += (double)(ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
                }
                c[i * n + j] = sum;
            }
        }
        return c;
    }

    private static void AssertProduct(int m, int n, int k, bool ta, bool tb, bool accumulate, bool portable, bool axpy = false, double zeros = 0)
    {
        var a = Random(m * k, m * 1000 + k);
        var sparse = new Random(m + n + k);
        for (var i = 0; i < a.Length; i++)
        {
            a[i] = sparse.NextDouble() < zeros ? 0 : a[i];
        }
        var b = Random(k * n, n * 1000 + k + 1);
        var c = Random(m * n, 7);
        var expected = Reference(a, ta, b, tb, c, m, n, k, accumulate);
        Gemm.ForcePortable = portable;
        PortableGemm.ForceAxpy = axpy;
        try
        {
            Gemm.Multiply<float>(a, ta, b, tb, c, m, n, k, accumulate);
        }
        finally
        {
            Gemm.ForcePortable = false;
            PortableGemm.ForceAxpy = false;
        }
        for (var i = 0; i < m * n; i++)
        {
            Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                $"{m}x{n}x{k} ta={ta} tb={tb} acc={accumulate}: C[{i}] = {c[i]}, expected {expected[i]}");
        }
    }

    public static TheoryData<bool, bool, bool> Layouts()
    {
        var data = new TheoryData<bool, bool, bool>();
        foreach (var ta in new[] { false, true })
        {
            foreach (var tb in new[] { false, true })
            {
                foreach (var portable in new[] { false, true })
                {
                    data.Add(ta, tb, portable);
                }
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Multiply_MatchesScalarOracle_ForEverySizeUpTo40(bool ta, bool tb, bool portable)
    {
        // Every row tail (m mod 8), every column tail (n mod 16 and mod 32), short and long k.
        foreach (var m in new[] { 1, 2, 7, 8, 9, 15, 16, 17, 31, 33 })
        {
            foreach (var n in new[] { 1, 3, 10, 15, 16, 17, 31, 32, 33, 40 })
            {
                foreach (var k in new[] { 1, 5, 16, 37 })
                {
                    AssertProduct(m, n, k, ta, tb, accumulate: (m + n + k) % 2 == 0, portable);
                }
            }
        }
    }

    /// <summary>The portable path's two float kernels: the axpy rows (forced, or chosen for an A that is
    /// mostly zeros) and, on AVX2 CPUs, the 6×16 register-blocked one (chosen for a dense A).</summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void PortableKernels_MatchScalarOracle_DenseSparseAndAxpy(bool ta, bool tb, bool axpy)
    {
        foreach (var m in new[] { 1, 5, 6, 7, 12, 13, 33 })
        {
            foreach (var n in new[] { 1, 7, 8, 9, 16, 17, 31, 33, 40 })
            {
                foreach (var k in new[] { 1, 5, 37 })
                {
                    AssertProduct(m, n, k, ta, tb, accumulate: (m + n + k) % 2 == 0, portable: true, axpy: axpy);
                    AssertProduct(m, n, k, ta, tb, accumulate: (m + n + k) % 2 == 1, portable: true, axpy: axpy, zeros: 0.8);
                }
            }
        }
        AssertProduct(256, 256, 300, ta, tb, accumulate: true, portable: true, axpy: axpy);
    }

    [Theory]
    [InlineData(64, 16, 784)]
    [InlineData(16, 784, 64)]
    [InlineData(130, 300, 270)] // crosses the K blocking and the parallel threshold
    [InlineData(256, 256, 300)]
    public void Multiply_MatchesScalarOracle_AtTrainingShapes(int m, int n, int k)
    {
        AssertProduct(m, n, k, ta: false, tb: true, accumulate: false, portable: false);
        AssertProduct(m, n, k, ta: true, tb: false, accumulate: true, portable: false);
        AssertProduct(m, n, k, ta: false, tb: false, accumulate: true, portable: false);
    }

    [Fact]
    public void Multiply_WithEmptyInnerDimension_ClearsOrKeepsC()
    {
        var c = new float[] { 1, 2, 3, 4 };
        Gemm.Multiply<float>([], false, [], false, c, 2, 2, 0, accumulate: true);
        Assert.Equal([1f, 2, 3, 4], c);
        Gemm.Multiply<float>([], false, [], false, c, 2, 2, 0, accumulate: false);
        Assert.Equal([0f, 0, 0, 0], c);
    }

    [Fact]
    public void Multiply_WithShortSpans_NamesTheSizes()
    {
        var e = Assert.Throws<ArgumentException>(() => Gemm.Multiply<float>(new float[3], false, new float[4], false, new float[4], 2, 2, 2, false));
        Assert.Contains("2x2", e.Message);
    }
}
