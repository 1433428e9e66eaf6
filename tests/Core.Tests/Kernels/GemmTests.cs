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

    private static float[] WithZeros(float[] values, double zeros, int seed)
    {
        var sparse = new Random(seed);
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = sparse.NextDouble() < zeros ? 0 : values[i];
        }
        return values;
    }

    /// <summary>C after the product on the chosen path (portable: not AVX-512; axpy: the portable
    /// rows; sparse: on AVX2, force the gathering loop or the dense one).</summary>
    private static float[] Product(float[] a, bool ta, float[] b, bool tb, float[] c0, int m, int n, int k, bool accumulate, bool portable, bool axpy = false, bool? sparse = null)
    {
        var c = (float[])c0.Clone();
        Gemm.ForcePortable = portable;
        PortableGemm.ForceAxpy = axpy;
        SgemmAvx2.ForceSparse = sparse;
        try
        {
            Gemm.Multiply<float>(a, ta, b, tb, c, m, n, k, accumulate);
        }
        finally
        {
            Gemm.ForcePortable = false;
            PortableGemm.ForceAxpy = false;
            SgemmAvx2.ForceSparse = null;
        }
        return c;
    }

    private static void AssertProduct(int m, int n, int k, bool ta, bool tb, bool accumulate, bool portable, bool axpy = false, double zeros = 0, bool? sparse = null)
    {
        var a = WithZeros(Random(m * k, m * 1000 + k), zeros, m + n + k);
        var b = Random(k * n, n * 1000 + k + 1);
        var c0 = Random(m * n, 7);
        var expected = Reference(a, ta, b, tb, c0, m, n, k, accumulate);
        var c = Product(a, ta, b, tb, c0, m, n, k, accumulate, portable, axpy, sparse);
        for (var i = 0; i < m * n; i++)
        {
            Assert.True(Math.Abs(c[i] - expected[i]) <= 1e-4 * (1 + Math.Abs(expected[i])),
                $"{m}x{n}x{k} ta={ta} tb={tb} acc={accumulate}: C[{i}] = {c[i]}, expected {expected[i]}");
        }
    }

    /// <summary>Every combination of three flags: both transpositions, and a third the theory names.</summary>
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

    /// <summary>The AVX2 kernel's two loops over packed B, each forced: the dense 6×16 one and the one
    /// that gathers A's nonzeros (4 panels at once, then single panels), over every row, column and
    /// depth tail, dense and 80% zeros. (Without AVX2 both run the portable rows.)</summary>
    [Theory]
    [MemberData(nameof(Layouts))]
    public void Avx2Loops_MatchScalarOracle(bool ta, bool tb, bool sparse)
    {
        foreach (var m in new[] { 1, 5, 6, 7, 13 })
        {
            foreach (var n in new[] { 1, 10, 16, 17, 63, 64, 65, 130 })
            {
                foreach (var k in new[] { 1, 7, 8, 9, 37 })
                {
                    AssertProduct(m, n, k, ta, tb, accumulate: (m + n + k) % 2 == 0, portable: true, sparse: sparse);
                    AssertProduct(m, n, k, ta, tb, accumulate: (m + n + k) % 2 == 1, portable: true, zeros: 0.8, sparse: sparse);
                }
            }
        }
    }

    /// <summary>
    /// Which loop ran, and how many rows were multiplied together, must not change a bit of a row's
    /// result: a worker's shard and a replica of the single-process trainer multiply the same rows in
    /// batches of other sizes, and the choice of loop follows the share of zeros of the whole batch.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Avx2Loops_GiveTheSameBits_WhicheverLoopAndHoweverManyRows(bool tb, bool accumulate)
    {
        const int m = 45, n = 130, k = 83, rows = 13;
        foreach (var zeros in new[] { 0.0, 0.5, 0.8 })
        {
            var a = WithZeros(Random(m * k, 11), zeros, 12);
            var b = Random(k * n, 13);
            var c0 = Random(m * n, 14);
            var dense = Product(a, false, b, tb, c0, m, n, k, accumulate, portable: true, sparse: false);
            var gathered = Product(a, false, b, tb, c0, m, n, k, accumulate, portable: true, sparse: true);
            Assert.Equal(dense, gathered);
            var firstRows = Product(a[..(rows * k)], false, b, tb, c0[..(rows * n)], rows, n, k, accumulate, portable: true, sparse: zeros > 0.6);
            Assert.Equal(dense[..(rows * n)], firstRows);
        }
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
