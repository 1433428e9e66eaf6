using DistTrain.Core.Autodiff;
using DistTrain.Core.Nn;
using static DistTrain.Core.Tests.Autodiff.TestData;

namespace DistTrain.Core.Tests.Nn;

/// <summary>Every loss: value against a direct formula, gradient against finite differences.</summary>
public class LossGradientTests
{
    private static readonly int[] Labels = [2, 0, 3];

    private static void AssertGradient(Func<Tensor<double>[], Tensor<double>> f, params (double[] Values, int[] Shape)[] inputs)
    {
        var result = GradientCheck.Check(f, inputs);
        Assert.True(result.MaxError < 1e-6, result.ToString());
    }

    [Fact]
    public void CrossEntropy_FromClassIndices_MatchesFormulaAndFiniteDifferences()
    {
        var z = Input(1, 3, 4);
        AssertGradient(x => Loss.CrossEntropy(x[0], Labels), z);
        var expected = Enumerable.Range(0, 3).Average(r =>
        {
            var row = z.Values.Skip(r * 4).Take(4).ToArray();
            return Math.Log(row.Sum(Math.Exp)) - row[Labels[r]];
        });
        Assert.Equal(expected, Loss.CrossEntropy(Tensor.FromArray(z.Values, 3, 4), Labels).Item, 12);
    }

    [Fact]
    public void CrossEntropy_IsStableForHugeLogits()
    {
        var loss = Loss.CrossEntropy(Tensor.FromArray(new[] { 1000.0, 0, -1000 }, 1, 3), new[] { 0 });
        Assert.Equal(0.0, loss.Item, 12);
        var loss32 = Loss.CrossEntropy(Tensor.FromArray(new[] { 100f, 0, -100 }, 1, 3), new[] { 2 });
        Assert.Equal(200f, loss32.Item, 3);
    }

    [Fact]
    public void CrossEntropy_FromProbabilities_EqualsIndexFormForOneHot_AndChecksGradient()
    {
        var z = Input(2, 3, 4);
        var oneHot = new double[12];
        for (var r = 0; r < 3; r++)
        {
            oneHot[r * 4 + Labels[r]] = 1;
        }
        var soft = Tensor.FromArray(new double[] { .1, .2, .3, .4, .25, .25, .25, .25, 0, 0, 1, 0 }, 3, 4);
        Assert.Equal(Loss.CrossEntropy(Tensor.FromArray(z.Values, 3, 4), Labels).Item,
            Loss.CrossEntropy(Tensor.FromArray(z.Values, 3, 4), Tensor.FromArray(oneHot, 3, 4)).Item, 12);
        AssertGradient(x => Loss.CrossEntropy(x[0], soft), z);
    }

    [Fact]
    public void SquaredAndAbsoluteError_MatchFormulaAndFiniteDifferences()
    {
        var a = Input(3, 3, 2);
        var y = Input(4, 3, 2);
        var t = Tensor.FromArray(y.Values, 3, 2);
        AssertGradient(x => Loss.SquaredError(x[0], t), a);
        AssertGradient(x => Loss.AbsoluteError(x[0], t), a);
        var d = a.Values.Zip(y.Values, (p, q) => p - q).ToArray();
        Assert.Equal(d.Sum(v => v * v) / 3, Loss.SquaredError(Tensor.FromArray(a.Values, 3, 2), t).Item, 12);
        Assert.Equal(d.Sum(Math.Abs) / 3, Loss.AbsoluteError(Tensor.FromArray(a.Values, 3, 2), t).Item, 12);
    }

    [Fact]
    public void Huber_IsQuadraticInsideAndLinearOutside_WithCheckedGradient()
    {
        var t = Tensor.FromArray(new double[] { 0, 0, 0, 0 }, 2, 2);
        var a = Tensor.FromArray(new double[] { 0.5, -0.3, 3, -2 }, 2, 2);
        const double delta = 1.0;
        var expected = (0.5 * 0.25 + 0.5 * 0.09 + delta * (3 - 0.5) + delta * (2 - 0.5)) / 2;
        Assert.Equal(expected, Loss.Huber(a, t, delta).Item, 12);
        AssertGradient(x => Loss.Huber(x[0], t, 1.0), (new[] { 0.5, -0.3, 3, -2 }, new[] { 2, 2 }));
        var p = Tensor.Parameter(new double[] { 0.5, -0.3, 3, -2 }, 2, 2);
        Loss.Huber(p, t, delta).Backward();
        Assert.Equal(new[] { 0.25, -0.15, 0.5, -0.5 }, p.Grad.ToArray()); // r/n inside, ±δ/n outside
    }

    [Fact]
    public void Hinge_MatchesLectureFormula_WithZeroSubgradientAtTheMargin()
    {
        // scores for 1 sample, true class 1, margin 1: Σ max(0, 1 − b_i a_i), b = (−1, +1, −1).
        var scores = Tensor.Parameter(new double[] { 0.5, 2.0, -1.0 }, 1, 3);
        var loss = Loss.Hinge(scores, [1], 1.0);
        Assert.Equal(1.5 + 0 + 0, loss.Item, 12); // 1+0.5, 1−2 → 0, 1−1 → 0 (at the margin)
        loss.Backward();
        Assert.Equal(new[] { 1.0, 0, 0 }, scores.Grad.ToArray());
        AssertGradient(x => Loss.Hinge(x[0], Labels, 0.5), Input(5, 3, 4));
    }

    [Fact]
    public void Losses_RejectMismatchedLabels()
    {
        var z = Tensor.FromArray(new double[6], 2, 3);
        Assert.Throws<ArgumentException>(() => Loss.CrossEntropy(z, new[] { 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.CrossEntropy(z, new[] { 1, 3 }).Item);
        Assert.Throws<ArgumentOutOfRangeException>(() => Loss.Huber(z, z, 0.0));
    }
}
