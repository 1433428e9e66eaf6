using DistTrain.Core.Autodiff;
using static DistTrain.Core.Tests.Autodiff.TestData;

namespace DistTrain.Core.Tests.Autodiff;

/// <summary>Forward mode (tangents) and reverse mode (adjoints) must give the same Jacobian.</summary>
public class ForwardModeTests
{
    private static void AssertSameJacobian(Func<Tensor<double>, Tensor<double>> f, double[] x, int[] shape)
    {
        var forward = Jacobian.Compute(f, x, shape, DiffMode.Forward);
        var reverse = Jacobian.Compute(f, x, shape, DiffMode.Reverse);
        Assert.Equal(reverse.GetLength(0), forward.GetLength(0));
        Assert.Equal(reverse.GetLength(1), forward.GetLength(1));
        for (var i = 0; i < forward.GetLength(0); i++)
        {
            for (var j = 0; j < forward.GetLength(1); j++)
            {
                Assert.True(Math.Abs(forward[i, j] - reverse[i, j]) < 1e-10, $"J[{i},{j}]: forward {forward[i, j]}, reverse {reverse[i, j]}");
            }
        }
    }

    public static TheoryData<string> Functions => new()
    {
        "elementwise", "broadcast", "matmul", "linear", "softmax", "logsoftmax", "reductions", "xent", "shape",
    };

    [Theory]
    [MemberData(nameof(Functions))]
    public void Jacobian_ForwardEqualsReverse(string name)
    {
        var w = Tensor.FromArray(Values(12, 5), 4, 3);
        var b = Tensor.FromArray(Values(4, 6), 4);
        var row = Tensor.FromArray(Values(3, 7), 3);
        Func<Tensor<double>, Tensor<double>> f = name switch
        {
            "elementwise" => x => (x.Sin() * x.Exp() + x.Tanh().Sigmoid() - x.Abs().Sqrt()).Max(x.Cos()) / (x * x + 1.0),
            "broadcast" => x => (x + row) * row - x.Min(row),
            "matmul" => x => x.MatMul(w.Transpose()),
            "linear" => x => x.Linear(w, b).Relu(),
            "softmax" => x => x.Softmax(),
            "logsoftmax" => x => x.LogSoftmax(),
            "reductions" => x => x.Sum(0, keepDim: true) * x.Mean(1, keepDim: true),
            "xent" => x => x.SoftmaxCrossEntropy(new[] { 2, 0 }),
            "shape" => x => x.Transpose().Reshape(3, 2).Pow(2),
            _ => throw new ArgumentException(name),
        };
        AssertSameJacobian(f, Values(6, 8), [2, 3]);
    }

    [Fact]
    public void Tangent_OfLectureExample_MatchesHandDerivation()
    {
        // y = 2·log(x1 + sin(x1))·max(x2, x3); a tangent on x1 alone gives ∂y/∂x1 in one forward pass.
        var x1 = Tensor.FromArray([1.5]);
        var x2 = Tensor.FromArray([2.0]);
        var x3 = Tensor.FromArray([-1.0]);
        x1.SetTangent([1.0]);
        var y = 2.0 * (x1 + x1.Sin()).Log() * x2.Max(x3);
        Assert.Equal(2 * 2.0 * (1 + Math.Cos(1.5)) / (1.5 + Math.Sin(1.5)), y.Tangent[0], 12);
    }
}
