using DistTrain.Core.Kernels;

namespace DistTrain.Core.Tests.Kernels;

/// <summary>Finding the all-zero columns of a matrix, and moving to and from its compact form,
/// on the AVX-512 path (float) and the scalar one (double), with a ragged last block.</summary>
public class ZeroColumnsTests
{
    /// <summary>A rows×cols matrix whose columns in <paramref name="zero"/> are 0 in every row
    /// (the others are random, with a few scattered zeros that must not count).</summary>
    private static T[] Matrix<T>(int rows, int cols, Func<int, bool> zero, int seed) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var x = new T[rows * cols];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < cols; c++)
            {
                x[r * cols + c] = zero(c) || random.Next(5) == 0 ? T.Zero : T.CreateChecked(random.NextDouble() + 0.5);
            }
        }
        return x;
    }

    private static bool SkippedColumn(int c) => c % 3 == 0 || (c > 100 && c < 180) || c == 69;

    [Theory]
    [InlineData(7, 784)]
    [InlineData(3, 70)]
    [InlineData(1, 16)]
    public void FindUsed_CountsTheColumnsWithANonZero_Float(int rows, int cols) => FindUsedCase<float>(rows, cols);

    [Theory]
    [InlineData(7, 784)]
    [InlineData(3, 70)]
    public void FindUsed_CountsTheColumnsWithANonZero_Double(int rows, int cols) => FindUsedCase<double>(rows, cols);

    private static void FindUsedCase<T>(int rows, int cols) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = Matrix<T>(rows, cols, SkippedColumn, seed: cols);
        var used = new ushort[ZeroColumns.Blocks(cols)];
        var count = ZeroColumns.FindUsed<T>(x, rows, cols, used);

        var expected = Enumerable.Range(0, cols).Where(c => Enumerable.Range(0, rows).Any(r => x[r * cols + c] != T.Zero)).ToArray();
        Assert.Equal(expected.Length, count);
        var marked = Enumerable.Range(0, cols).Where(c => (used[c / 16] & (1 << (c % 16))) != 0).ToArray();
        Assert.Equal(expected, marked);
    }

    [Fact]
    public void FindUsed_CountsNaNAndIgnoresNegativeZero()
    {
        var x = new float[2 * 20];
        x[3] = float.NaN;
        x[20 + 17] = -0f;
        x[20 + 5] = -0f;
        x[20 + 18] = 1e-30f;
        var used = new ushort[2];
        Assert.Equal(2, ZeroColumns.FindUsed<float>(x, 2, 20, used));
        Assert.Equal(1 << 3, used[0]);
        Assert.Equal(1 << 2, used[1]);
    }

    [Theory]
    [InlineData(5, 784)]
    [InlineData(4, 70)]
    [InlineData(2, 33)]
    [InlineData(3, 10)]
    public void CompactThenExpand_GivesBackTheMatrix_Float(int rows, int cols) => RoundTripCase<float>(rows, cols);

    [Theory]
    [InlineData(5, 784)]
    [InlineData(4, 70)]
    public void CompactThenExpand_GivesBackTheMatrix_Double(int rows, int cols) => RoundTripCase<double>(rows, cols);

    [Fact]
    public void CompactThenExpand_WithFewerThan16UsedColumns_StaysInItsBuffers()
    {
        const int rows = 4, cols = 100;
        var x = Matrix<float>(rows, cols, c => c % 9 != 0, seed: 3); // 12 used columns
        var used = new ushort[ZeroColumns.Blocks(cols)];
        var count = ZeroColumns.FindUsed<float>(x, rows, cols, used);
        Assert.InRange(count, 1, 12);
        var compact = new float[rows * count + 16];
        ZeroColumns.Compact<float>(x, rows, cols, used, count, compact);
        var back = new float[rows * cols];
        ZeroColumns.Expand<float>(compact.AsSpan(0, rows * count), rows, cols, used, count, back, accumulate: false);
        Assert.Equal(x, back);
    }

    private static void RoundTripCase<T>(int rows, int cols) where T : unmanaged, System.Numerics.IFloatingPointIeee754<T>
    {
        var x = Matrix<T>(rows, cols, SkippedColumn, seed: rows + cols);
        var used = new ushort[ZeroColumns.Blocks(cols)];
        var count = ZeroColumns.FindUsed<T>(x, rows, cols, used);
        var compact = new T[rows * count + 16];
        ZeroColumns.Compact<T>(x, rows, cols, used, count, compact);

        // Each compact row holds the row's used columns, in order.
        for (var r = 0; r < rows; r++)
        {
            var expected = Enumerable.Range(0, cols).Where(c => (used[c / 16] & (1 << (c % 16))) != 0).Select(c => x[r * cols + c]);
            Assert.Equal(expected, compact.Skip(r * count).Take(count));
        }

        // Expanding over garbage writes every value back and zeros the skipped columns.
        var back = Enumerable.Repeat(T.CreateChecked(7), rows * cols).ToArray();
        ZeroColumns.Expand<T>(compact, rows, cols, used, count, back, accumulate: false);
        Assert.Equal(x, back);

        // Accumulating adds into the used columns and leaves the skipped ones alone.
        var sum = Enumerable.Repeat(T.One, rows * cols).ToArray();
        ZeroColumns.Expand<T>(compact, rows, cols, used, count, sum, accumulate: true);
        Assert.Equal(x.Select((v, i) => (used[i % cols / 16] & (1 << (i % cols % 16))) != 0 ? v + T.One : T.One), sum);
    }

    [Fact]
    public void Compact_RejectsABufferWithoutItsSpareValues()
    {
        var x = new float[2 * 32];
        x[0] = 1;
        var used = new ushort[2];
        var count = ZeroColumns.FindUsed<float>(x, 2, 32, used);
        var error = Assert.Throws<ArgumentException>(() => ZeroColumns.Compact<float>(x, 2, 32, used, count, new float[2 * count]));
        Assert.Contains("needs 18 values", error.Message);
    }
}
