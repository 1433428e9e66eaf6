using DistTrain.Core.Autodiff;
using DistTrain.Core.Nn;
using static DistTrain.Core.Tests.Autodiff.TestData;

namespace DistTrain.Core.Tests.Nn;

public class NetworkTests
{
    [Fact]
    public void Spec_ParsesAndCountsParameters()
    {
        var spec = NetworkSpec.Parse("784-16-16-10");
        Assert.Equal(784 * 16 + 16 + 16 * 16 + 16 + 16 * 10 + 10, spec.ParameterCount);
        Assert.Equal("784-16-16-10", spec.ToString());
        Assert.Contains("'a'", Assert.Throws<FormatException>(() => NetworkSpec.Parse("784-a-10")).Message);
        Assert.Throws<FormatException>(() => NetworkSpec.Parse("784"));
    }

    [Fact]
    public void Parameters_AreViewsIntoOneFlatVector()
    {
        var spec = NetworkSpec.Parse("3-4-2");
        var network = new Network<double>(spec, ParameterInit.Initialize<double>(spec, 1));
        network.Layers[1].Bias.Data[1] = 42;
        Assert.Equal(42, network.Parameters[3 * 4 + 4 + 4 * 2 + 1]);
        Assert.Equal(["layer0.weight", "layer0.bias", "layer1.weight", "layer1.bias"], network.NamedParameters.Select(p => p.Name));

        var other = new double[spec.ParameterCount];
        var gradients = new double[spec.ParameterCount];
        network.Bind(other, gradients);
        other[0] = 7;
        Assert.Equal(7, network.Layers[0].Weight.Data[0]); // rebinding shares, never copies
    }

    [Theory]
    [InlineData(ActivationKind.ReLU, LossKind.CrossEntropy)]
    [InlineData(ActivationKind.Sigmoid, LossKind.SquaredError)]
    [InlineData(ActivationKind.Tanh, LossKind.Huber)]
    [InlineData(ActivationKind.Identity, LossKind.Hinge)]
    public void FlatGradient_MatchesFiniteDifferencesOnEveryParameter(ActivationKind activation, LossKind loss)
    {
        var spec = new NetworkSpec([4, 5, 3], activation);
        var network = new Network<double>(spec, ParameterInit.Initialize<double>(spec, 2));
        var x = Tensor.FromArray(Values(8, 3), 2, 4);
        int[] labels = [2, 0];
        var targets = Tensor.FromArray(new double[] { 0, 0, 1, 1, 0, 0 }, 2, 3);
        Tensor<double> Objective()
        {
            var output = network.Forward(x);
            return loss switch
            {
                LossKind.CrossEntropy => Loss.CrossEntropy(output, labels),
                LossKind.SquaredError => Loss.SquaredError(output, targets),
                LossKind.Huber => Loss.Huber(output, targets, 0.3),
                _ => Loss.Hinge(output, labels, 1.0),
            };
        }

        network.ZeroGrad();
        Objective().Backward();
        const double h = 1e-6;
        for (var i = 0; i < spec.ParameterCount; i++)
        {
            var saved = network.Parameters[i];
            double Loss(double v)
            {
                network.Parameters[i] = v;
                using var _ = NoGradScope.Begin();
                return Objective().Item;
            }
            var numeric = (Loss(saved + h) - Loss(saved - h)) / (2 * h);
            network.Parameters[i] = saved;
            Assert.True(Math.Abs(numeric - network.Gradients[i]) < 1e-6 * Math.Max(1, Math.Abs(numeric)),
                $"parameter {i}: analytic {network.Gradients[i]}, numeric {numeric}");
        }
    }

    [Fact]
    public void Initialisation_IsSeededAndScaled()
    {
        var spec = NetworkSpec.Parse("784-256-10");
        var a = ParameterInit.Initialize(spec, 5);
        Assert.Equal(a, ParameterInit.Initialize(spec, 5));
        Assert.NotEqual(a, ParameterInit.Initialize(spec, 6));
        var w = a.AsSpan(0, 784 * 256).ToArray();
        var std = Math.Sqrt(w.Average(v => (double)v * v));
        Assert.InRange(std, 0.9 * Math.Sqrt(2.0 / 784), 1.1 * Math.Sqrt(2.0 / 784)); // He
        Assert.All(a.AsSpan(784 * 256, 256).ToArray(), b => Assert.Equal(0f, b));
    }
}
