using DistTrain.Core.Autodiff;

namespace DistTrain.Core.Tests.Autodiff;

/// <summary>The lecture's worked examples, checked against hand-derived formulas.</summary>
public class WorkedExampleTests
{
    [Theory]
    [InlineData(1.5, 2.0, -1.0)]
    [InlineData(0.7, -0.5, 3.0)]
    public void LectureExample_GradientMatchesHandDerivation(double x1v, double x2v, double x3v)
    {
        // y = 2·log(x1 + sin(x1))·max(x2, x3)
        var x1 = Tensor.Parameter([x1v]);
        var x2 = Tensor.Parameter([x2v]);
        var x3 = Tensor.Parameter([x3v]);
        var y = 2.0 * (x1 + x1.Sin()).Log() * x2.Max(x3);
        y.Backward();

        var m = Math.Max(x2v, x3v);
        var l = Math.Log(x1v + Math.Sin(x1v));
        Assert.Equal(2 * l * m, y.Item, 12);
        Assert.Equal(2 * m * (1 + Math.Cos(x1v)) / (x1v + Math.Sin(x1v)), x1.Grad[0], 12);
        Assert.Equal(x2v >= x3v ? 2 * l : 0, x2.Grad[0], 12);
        Assert.Equal(x2v >= x3v ? 0 : 2 * l, x3.Grad[0], 12);
    }

    [Fact]
    public void MultiplyGate_SwapsInputsTimesUpstream()
    {
        // z = x·y: dx = y·dz, dy = x·dz (the modular forward/backward "gate").
        var x = Tensor.Parameter([3.0]);
        var y = Tensor.Parameter([-4.0]);
        var z = x * y;
        z.Backward([2.0]);
        Assert.Equal(-12.0, z.Item);
        Assert.Equal(-8.0, x.Grad[0]);
        Assert.Equal(6.0, y.Grad[0]);
    }

    [Fact]
    public void Kinks_UseDocumentedSubgradients()
    {
        var x = Tensor.Parameter([0.0, 0.0]);
        (x.Relu().Sum() + x.Abs().Sum()).Backward();
        Assert.Equal([0.0, 0.0], x.Grad.ToArray()); // relu'(0) = 0, |x|'(0) = 0

        var a = Tensor.Parameter([1.0]);
        var b = Tensor.Parameter([1.0]);
        a.Max(b).Backward();
        Assert.Equal(1.0, a.Grad[0]); // a tie sends the gradient to the first argument
        Assert.Equal(0.0, b.Grad[0]);
    }

    [Fact]
    public void LeafGradients_AccumulateUntilZeroGrad()
    {
        var x = Tensor.Parameter([2.0]);
        (x * x).Backward();
        (x * x).Backward();
        Assert.Equal(8.0, x.Grad[0]);
        x.ZeroGrad();
        Assert.Equal(0.0, x.Grad[0]);
    }

    [Fact]
    public void NoGradScope_RecordsNothing_AndDetachCutsTheGraph()
    {
        var x = Tensor.Parameter([2.0]);
        using (NoGradScope.Begin())
        {
            Assert.False((x * x).RequiresGrad);
        }
        Assert.True((x * x).RequiresGrad);
        var y = x.Detach() * x;
        y.Backward();
        Assert.Equal(2.0, x.Grad[0]); // only the non-detached factor contributes
    }

    [Fact]
    public void Backward_OnNonScalarWithoutSeed_ExplainsWhatIsWrong()
    {
        var x = Tensor.Parameter([1.0, 2.0]);
        var e = Assert.Throws<InvalidOperationException>(() => (x * x).Backward());
        Assert.Contains("[2]", e.Message);
    }
}
