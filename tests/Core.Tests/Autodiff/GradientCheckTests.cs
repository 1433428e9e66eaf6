using DistTrain.Core.Autodiff;
using static DistTrain.Core.Tests.Autodiff.TestData;

namespace DistTrain.Core.Tests.Autodiff;

/// <summary>Every operation's reverse-mode gradient against central finite differences (double).</summary>
public class GradientCheckTests
{
    private const double Tolerance = 1e-6;

    private static void AssertGradient(Func<Tensor<double>[], Tensor<double>> f, params (double[] Values, int[] Shape)[] inputs)
    {
        var result = GradientCheck.Check(f, inputs);
        Assert.True(result.MaxError < Tolerance, result.ToString());
    }

    // A random linear functional makes every output element matter with a different weight.
    private static Tensor<double> Project(Tensor<double> y) =>
        (y * Tensor.FromArray(Values(y.Length, 99), y.Shape.ToArray())).Sum();

    public static TheoryData<string> UnaryOps => new() { "neg", "exp", "log", "sin", "cos", "tanh", "sigmoid", "relu", "abs", "sqrt", "reciprocal", "pow3", "pow-half", "scale" };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary_MatchesFiniteDifferences(string op)
    {
        Func<Tensor<double>, Tensor<double>> f = op switch
        {
            "neg" => x => -x,
            "exp" => x => x.Exp(),
            "log" => x => x.Log(),
            "sin" => x => x.Sin(),
            "cos" => x => x.Cos(),
            "tanh" => x => x.Tanh(),
            "sigmoid" => x => x.Sigmoid(),
            "relu" => x => x.Relu(),
            "abs" => x => x.Abs(),
            "sqrt" => x => x.Sqrt(),
            "reciprocal" => x => x.Reciprocal(),
            "pow3" => x => x.Pow(3),
            "pow-half" => x => x.Pow(0.5),
            "scale" => x => x * 2.5,
            _ => throw new ArgumentException(op),
        };
        // Positive inputs keep log/sqrt defined; kinks (relu, abs at 0) are never hit.
        var needsPositive = op is "log" or "sqrt" or "pow-half" or "reciprocal";
        var input = needsPositive ? PositiveInput(1, 3, 4) : Input(1, 3, 4);
        if (op is "relu" or "abs")
        {
            input.Values[0] = -0.7; // make sure both sides of the kink appear
            input.Values[1] = 0.9;
        }
        AssertGradient(x => Project(f(x[0])), input);
    }

    public static TheoryData<string, int[], int[]> BinaryCases => new()
    {
        { "+", [3, 4], [3, 4] }, { "-", [3, 4], [3, 4] }, { "*", [3, 4], [3, 4] }, { "/", [3, 4], [3, 4] },
        { "max", [3, 4], [3, 4] }, { "min", [3, 4], [3, 4] },
        // broadcasting: a row vector, a column, a scalar, both sides stretched
        { "+", [3, 4], [4] }, { "*", [3, 4], [3, 1] }, { "/", [3, 4], [] }, { "-", [1, 4], [3, 1] },
        { "max", [2, 3, 4], [3, 1] }, { "*", [4], [2, 3, 4] },
    };

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void Binary_MatchesFiniteDifferences_WithBroadcasting(string op, int[] shapeA, int[] shapeB)
    {
        Func<Tensor<double>, Tensor<double>, Tensor<double>> f = op switch
        {
            "+" => (a, b) => a + b,
            "-" => (a, b) => a - b,
            "*" => (a, b) => a * b,
            "/" => (a, b) => a / b,
            "max" => (a, b) => a.Max(b),
            "min" => (a, b) => a.Min(b),
            _ => throw new ArgumentException(op),
        };
        var b = op == "/" ? PositiveInput(3, shapeB) : Input(3, shapeB);
        AssertGradient(x => Project(f(x[0], x[1])), Input(2, shapeA), b);
    }

    [Fact]
    public void MatMul_MatchesFiniteDifferences() =>
        AssertGradient(x => Project(x[0].MatMul(x[1])), Input(4, 5, 3), Input(5, 3, 7));

    [Fact]
    public void Linear_MatchesFiniteDifferences() =>
        AssertGradient(x => Project(x[0].Linear(x[1], x[2])), Input(6, 4, 5), Input(7, 3, 5), Input(8, 3));

    /// <summary>An input (no gradient) with whole zero columns takes the compact path: W's and b's
    /// gradients must still match, including W's zero-gradient columns.</summary>
    [Fact]
    public void Linear_OverAnInputWithZeroColumns_MatchesFiniteDifferences()
    {
        const int rows = 5, features = 70;
        var input = Values(rows * features, 21);
        for (var i = 0; i < input.Length; i++)
        {
            var c = i % features;
            if (c % 4 == 0 || c is > 30 and < 50 || c == features - 1)
            {
                input[i] = 0; // 33 of 70 columns zero in every row
            }
        }
        int? used = -1;
        AssertGradient(x =>
        {
            var y = Tensor.FromArray(input, rows, features).Linear(x[0], x[1]);
            if (y.Creator is DistTrain.Core.Autodiff.Ops.LinearNode<double> node)
            {
                used = node.CompactColumns;
            }
            return Project(y.Tanh());
        }, Input(22, 64, features), Input(23, 64));
        Assert.Equal(features - 33, used);
    }

    [Fact]
    public void TransposeAndReshape_MatchFiniteDifferences() =>
        AssertGradient(x => Project(x[0].Transpose().Reshape(2, 6) * x[1]), Input(9, 3, 4), Input(10, 2, 6));

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(-1, false)]
    public void SumAndMeanAlongAxis_MatchFiniteDifferences(int axis, bool keepDim)
    {
        AssertGradient(x => Project(x[0].Sum(axis, keepDim)), Input(11, 2, 3, 4));
        AssertGradient(x => Project(x[0].Mean(axis, keepDim)), Input(12, 2, 3, 4));
        AssertGradient(x => x[0].Mean(), Input(13, 3, 5));
    }

    [Fact]
    public void SoftmaxAndLogSoftmax_MatchFiniteDifferences()
    {
        AssertGradient(x => Project(x[0].Softmax()), Input(14, 3, 5));
        AssertGradient(x => Project(x[0].LogSoftmax()), Input(15, 3, 5));
    }

    [Fact]
    public void ValueUsedTwice_GetsBothContributions()
    {
        // f = x·x + sin(x)·x: the gradient must add every path through x.
        AssertGradient(x => Project(x[0] * x[0] + x[0].Sin() * x[0]), Input(16, 2, 3));
        var t = Tensor.Parameter([3.0]);
        (t * t).Backward();
        Assert.Equal(6.0, t.Grad[0], 12);
    }

    [Fact]
    public void DeepChain_MatchesFiniteDifferences()
    {
        AssertGradient(x =>
        {
            var h = x[0].Linear(x[1], x[2]).Tanh();
            var z = h.MatMul(x[3]).Sigmoid() + h.Sum(1, keepDim: true).Exp().Scale(0.01);
            return Project(z.Log());
        }, Input(17, 4, 3), Input(18, 5, 3), Input(19, 5), Input(20, 5, 2));
    }
}
