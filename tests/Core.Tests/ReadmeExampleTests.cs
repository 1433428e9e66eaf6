using DistTrain.Core.Autodiff;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;

namespace DistTrain.Core.Tests;

/// <summary>The README's code examples, compiled and run, so the documentation cannot rot.</summary>
public class ReadmeExampleTests
{
    [Fact]
    public void AutodiffExample_Works()
    {
        // --- README: autodiff ---
        var x = Tensor.Parameter([1.0, 2.0, 3.0]);
        var w = Tensor.Parameter([0.5, -1.0, 2.0]);
        var loss = (x * w).Sum().Tanh();      // builds the graph as it runs
        loss.Backward();                       // reverse mode: dloss/dx, dloss/dw
        var dx = x.Grad.ToArray();             // = (1 − tanh²(x·w)) · w
        var jvp = Jacobian.Jvp(v => (v * v).Sum(), [1.0, 2.0], [2], [1.0, 0.0]); // forward mode: 2
        // --- end ---
        var t = Math.Tanh(0.5 - 2 + 6);
        Assert.Equal((1 - t * t) * 0.5, dx[0], 12);
        Assert.Equal(2.0, jvp[0], 12);
    }

    [Fact]
    public void TrainingExample_Works()
    {
        // --- README: training ---
        var (train, test) = MnistLoader.Load(DatasetLocator.FindShippedMnist());
        var options = new TrainingOptions(
            new ModelSpec(NetworkSpec.Parse("784-16-16-10"), LossKind.CrossEntropy),
            new SgdOptions(LearningRate: 0.1f, Momentum: 0.9f),
            Epochs: 1, BatchSize: 64, Seed: 1);
        using var trainer = new LocalTrainer(options, train.Take(6000));
        var result = trainer.Train(test, onEpoch: e => Console.WriteLine(e));
        // trainer.Parameters is the flat vector: new Network<float>(spec, trainer.Parameters) reuses it.
        // --- end ---
        Assert.True(result.Last.TestAccuracy > 0.8, $"{result.Last.TestAccuracy:P1}");
    }
}
