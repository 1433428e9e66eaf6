using DistTrain.Core.Autodiff;
using DistTrain.Core.Autodiff.Ops;

namespace DistTrain.Core.Tests.Autodiff;

/// <summary>
/// The float linear layer over an input with zero columns (the compact path, on the AVX-512
/// compress/expand kernels) against a double-precision oracle of the dense product.
/// </summary>
public class LinearZeroColumnsTests
{
    private const int Rows = 9, In = 200, Out = 70;

    private static float[] Random(int n, int seed, double zeroColumnShare = 0, int columns = 1)
    {
        var random = new Random(seed);
        var zero = new Random(seed + 1);
        var skip = Enumerable.Range(0, columns).Select(_ => zero.NextDouble() < zeroColumnShare).ToArray();
        return Enumerable.Range(0, n).Select(i => skip[i % columns] ? 0f : (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Fact]
    public void ForwardAndWeightGradient_MatchTheDenseProduct()
    {
        var x = Random(Rows * In, 1, zeroColumnShare: 0.4, columns: In);
        var w = Random(Out * In, 2);
        var b = Random(Out, 3);
        var seed = Random(Rows * Out, 4);

        var weight = Tensor.Parameter(w, Out, In);
        var bias = Tensor.Parameter(b, Out);
        var y = Tensor.FromArray(x, Rows, In).Linear(weight, bias);
        var node = Assert.IsType<LinearNode<float>>(y.Creator);
        Assert.InRange(node.CompactColumns!.Value, 1, In * 7 / 8);
        y.Backward(seed);
        y.Backward(seed); // a second pass accumulates (the network's overwrite mode is tested with training)

        for (var r = 0; r < Rows; r++)
        {
            for (var o = 0; o < Out; o++)
            {
                double sum = b[o];
                for (var i = 0; i < In; i++)
                {
                    sum += (double)x[r * In + i] * w[o * In + i];
                }
                Assert.Equal(sum, y.Data[r * Out + o], 1e-5);
            }
        }
        for (var o = 0; o < Out; o++)
        {
            for (var i = 0; i < In; i++)
            {
                double sum = 0;
                for (var r = 0; r < Rows; r++)
                {
                    sum += (double)seed[r * Out + o] * x[r * In + i];
                }
                Assert.Equal(2 * sum, weight.Grad[o * In + i], 1e-5);
            }
        }
    }

    [Fact]
    public void AnInputThatNeedsAGradient_OrHasFewZeroColumns_OrANarrowLayer_StaysDense()
    {
        var w = Tensor.Parameter(Random(Out * In, 5), Out, In);
        var b = Tensor.Parameter(Random(Out, 6), Out);
        var sparse = Random(Rows * In, 7, zeroColumnShare: 0.5, columns: In);

        var needsGradient = Tensor.Parameter(sparse, Rows, In).Linear(w, b);
        Assert.Null(Assert.IsType<LinearNode<float>>(needsGradient.Creator).CompactColumns);

        var dense = Tensor.FromArray(Random(Rows * In, 8, zeroColumnShare: 0.05, columns: In), Rows, In).Linear(w, b);
        Assert.Null(Assert.IsType<LinearNode<float>>(dense.Creator).CompactColumns);

        var narrow = Tensor.FromArray(sparse, Rows, In).Linear(Tensor.Parameter(Random(16 * In, 9), 16, In), Tensor.Parameter(Random(16, 10), 16));
        Assert.Null(Assert.IsType<LinearNode<float>>(narrow.Creator).CompactColumns);
    }

    /// <summary>The oracle, in double: Y = X·Wᵀ + b and dW = seedᵀ·X for a rows-row X.</summary>
    private static (double[] Y, double[] GradW) Dense(float[] x, float[] w, float[] b, float[] seed, int rows)
    {
        var y = new double[rows * Out];
        var gradW = new double[Out * In];
        for (var r = 0; r < rows; r++)
        {
            for (var o = 0; o < Out; o++)
            {
                double sum = b[o];
                for (var i = 0; i < In; i++)
                {
                    sum += (double)x[r * In + i] * w[o * In + i];
                    gradW[o * In + i] += (double)seed[r * Out + o] * x[r * In + i];
                }
                y[r * Out + o] = sum;
            }
        }
        return (y, gradW);
    }

    private static void AssertClose(double[] expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-5 * Math.Max(1, Math.Abs(expected[i])),
                $"index {i}: expected {expected[i]}, got {actual[i]}");
        }
    }

    /// <summary>
    /// Training's own configuration: a recycled graph, the gradient overwritten every step (so the
    /// AVX-512 expand writes the skipped columns' zeros over last step's values), and the slice size
    /// and zero columns changing from step to step, from compact to dense and back, and to a
    /// slice with no non-zero column at all.
    /// </summary>
    [Fact]
    public void RecycledSteps_WithChangingZeroColumns_MatchTheDenseProduct()
    {
        var w = Random(Out * In, 11);
        var b = Random(Out, 12);
        var weight = Tensor.Parameter(w, Out, In);
        var bias = Tensor.Parameter(b, Out);
        weight.OverwritesGradient = bias.OverwritesGradient = true;
        var recycler = new GraphRecycler<float>();
        (int Rows, double ZeroShare, bool Compact)[] steps =
            [(9, 0.4, true), (6, 0.6, true), (9, 0.0, false), (9, 0.5, true), (3, 1.0, true), (9, 0.3, true)];
        for (var step = 0; step < steps.Length; step++)
        {
            var (rows, zeroShare, compact) = steps[step];
            var x = Random(rows * In, 20 + step, zeroColumnShare: zeroShare, columns: In);
            var seed = Random(rows * Out, 40 + step);
            weight.Grad.Fill(float.NaN); // whatever the last step left must not survive
            using (recycler.BeginStep())
            {
                var y = Tensor.FromArray(x, rows, In).Linear(weight, bias);
                var node = Assert.IsType<LinearNode<float>>(y.Creator);
                Assert.Equal(compact, node.CompactColumns is not null);
                y.Backward(seed);

                var (expectedY, expectedGradW) = Dense(x, w, b, seed, rows);
                AssertClose(expectedY, y.Data);
                AssertClose(expectedGradW, weight.Grad);
            }
        }
    }

    [Fact]
    public void AnAllZeroInput_GivesTheBiasAndAZeroOrUnchangedWeightGradient()
    {
        var weight = Tensor.Parameter(Random(Out * In, 13), Out, In);
        var bias = Tensor.Parameter(Random(Out, 14), Out);
        var y = Tensor.FromArray(new float[Rows * In], Rows, In).Linear(weight, bias);
        Assert.Equal(0, Assert.IsType<LinearNode<float>>(y.Creator).CompactColumns);
        for (var r = 0; r < Rows; r++)
        {
            Assert.Equal(bias.Data.ToArray(), y.Data.Slice(r * Out, Out).ToArray());
        }

        weight.Grad.Fill(3f);
        y.Backward(Random(Rows * Out, 15));
        Assert.All(weight.Grad.ToArray(), g => Assert.Equal(3f, g)); // accumulating: nothing added

        weight.OverwritesGradient = true;
        y.Backward(Random(Rows * Out, 16));
        Assert.All(weight.Grad.ToArray(), g => Assert.Equal(0f, g)); // overwriting: zero
    }
}
