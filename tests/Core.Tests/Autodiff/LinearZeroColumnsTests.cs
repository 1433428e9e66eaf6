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
        Assert.InRange(node.CompactColumns, 1, In * 7 / 8);
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
        Assert.Equal(0, Assert.IsType<LinearNode<float>>(needsGradient.Creator).CompactColumns);

        var dense = Tensor.FromArray(Random(Rows * In, 8, zeroColumnShare: 0.05, columns: In), Rows, In).Linear(w, b);
        Assert.Equal(0, Assert.IsType<LinearNode<float>>(dense.Creator).CompactColumns);

        var narrow = Tensor.FromArray(sparse, Rows, In).Linear(Tensor.Parameter(Random(16 * In, 9), 16, In), Tensor.Parameter(Random(16, 10), 16));
        Assert.Equal(0, Assert.IsType<LinearNode<float>>(narrow.Creator).CompactColumns);
    }
}
