using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;

namespace DistTrain.Core.Tests.Training;

/// <summary>Loads the shipped MNIST once for the training tests.</summary>
public sealed class MnistFixture
{
    public MnistFixture() => (Train, Test) = MnistLoader.Load(DatasetLocator.FindShippedMnist());

    public Dataset Train { get; }

    public Dataset Test { get; }
}

public class TrainingTests(MnistFixture mnist) : IClassFixture<MnistFixture>
{
    private static TrainingOptions Options(int threads, int epochs = 1, int batch = 64) =>
        new(new ModelSpec(NetworkSpec.Parse("784-16-16-10")), new SgdOptions(0.1f), epochs, batch, Seed: 1, Threads: threads);

    [Fact]
    public void SeedNetwork_ReachesAtLeast91PercentAfterTwoEpochs()
    {
        using var trainer = new LocalTrainer(Options(threads: 0, epochs: 2), mnist.Train);
        var result = trainer.Train(mnist.Test);
        Assert.True(result.Last.TestAccuracy >= 0.91, $"test accuracy after 2 epochs: {result.Last.TestAccuracy:P2}");
        Assert.True(result.Epochs[1].TrainLoss < result.Epochs[0].TrainLoss);
    }

    [Fact]
    public void Training_IsDeterministicForASeed()
    {
        var subset = mnist.Train.Take(2000);
        float[] Run()
        {
            using var trainer = new LocalTrainer(Options(threads: 2), subset);
            trainer.Train();
            return trainer.Parameters;
        }
        Assert.Equal(Run(), Run());
    }

    [Fact]
    public void TwoCores_GiveTheSameParametersAsOne_UpToRounding()
    {
        // Data-parallel replicas average shard gradients weighted by count = the full-batch gradient.
        var subset = mnist.Train.Take(64 * 50);
        using var one = new LocalTrainer(Options(threads: 1), subset);
        using var two = new LocalTrainer(Options(threads: 2), subset);
        one.RunEpoch(1);
        two.RunEpoch(1);
        var worst = one.Parameters.Zip(two.Parameters, (a, b) => Math.Abs(a - b) / Math.Max(1e-3, Math.Abs(a))).Max();
        Assert.True(worst < 1e-4, $"largest relative difference after 50 steps: {worst}");
    }

    [Fact]
    public void ReplicaStep_AllocatesNothingInSteadyState()
    {
        var spec = new ModelSpec(NetworkSpec.Parse("784-16-16-10"));
        var replica = new ModelReplica(spec);
        var parameters = ParameterInit.Initialize(spec.Network, 1);
        var gradient = new float[parameters.Length];
        var indices = Enumerable.Range(0, 64).ToArray();
        for (var i = 0; i < 20; i++)
        {
            replica.ComputeGradient(parameters, mnist.Train, indices, gradient);
        }
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            replica.ComputeGradient(parameters, mnist.Train, indices, gradient);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    /// <summary>
    /// A layer that skips zero input columns multiplies over a different number of them every step;
    /// a new largest count must not allocate (warm-up on one image repeated, which leaves most
    /// columns blank, then ordinary batches; 100 rows leave a short last tile in the product).
    /// </summary>
    [Fact]
    public void ReplicaStep_SkippingZeroColumns_AllocatesNothingWhenTheirCountGrows()
    {
        // On a thread of its own: the kernels' per-thread buffers must start empty, not left large
        // by whatever ran on this test thread before.
        long allocated = -1;
        var thread = new Thread(() => allocated = AllocationWhileUsedColumnsGrow());
        thread.Start();
        thread.Join();
        Assert.Equal(0, allocated);
    }

    private long AllocationWhileUsedColumnsGrow()
    {
        var spec = new ModelSpec(NetworkSpec.Parse("784-64-10"));
        var replica = new ModelReplica(spec);
        var parameters = ParameterInit.Initialize(spec.Network, 1);
        var gradient = new float[parameters.Length];
        var oneImage = Enumerable.Repeat(7, 100).ToArray();
        for (var i = 0; i < 5; i++)
        {
            replica.ComputeGradient(parameters, mnist.Train, oneImage, gradient);
        }
        var batches = Enumerable.Range(0, 10).Select(i => Enumerable.Range(i * 100, 100).ToArray()).ToArray();
        var before = GC.GetAllocatedBytesForCurrentThread();
        foreach (var batch in batches)
        {
            replica.ComputeGradient(parameters, mnist.Train, batch, gradient);
        }
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    [Fact]
    public void Divergence_StopsTrainingWithAClearMessage()
    {
        var options = new TrainingOptions(new ModelSpec(NetworkSpec.Parse("784-16-16-10")), new SgdOptions(1e6f), 1, 64, Threads: 1);
        using var trainer = new LocalTrainer(options, mnist.Train.Take(2000));
        var e = Assert.Throws<TrainingDivergedException>(() => trainer.Train());
        Assert.Contains("learning rate", e.Message);
    }

    [Fact]
    public void Trainer_RejectsASpecThatDoesNotFitTheData()
    {
        var options = new TrainingOptions(new ModelSpec(NetworkSpec.Parse("100-10")), new SgdOptions());
        var e = Assert.Throws<ArgumentException>(() => new LocalTrainer(options, mnist.Train.Take(10)));
        Assert.Contains("784 features", e.Message);
    }

    [Theory]
    [InlineData(LossKind.SquaredError, 0.02f, 0.5)]
    [InlineData(LossKind.AbsoluteError, 0.02f, 0.0)] // L1 on one-hot targets pulls every output to 0 (the median): its loss falls, accuracy stays low
    [InlineData(LossKind.Huber, 0.1f, 0.5)]
    [InlineData(LossKind.Hinge, 0.1f, 0.8)]
    public void EveryLoss_TrainsTheSeedNetwork(LossKind loss, float learningRate, double minimumAccuracy)
    {
        // Regression losses see one-hot targets; they learn more slowly than cross-entropy.
        var options = new TrainingOptions(new ModelSpec(NetworkSpec.Parse("784-16-16-10"), loss), new SgdOptions(learningRate), 2, 32, Seed: 1, Threads: 1);
        using var trainer = new LocalTrainer(options, mnist.Train.Take(12000));
        var result = trainer.Train(mnist.Test.Take(2000));
        Assert.True(result.Epochs[1].TrainLoss < result.Epochs[0].TrainLoss, $"{loss}: loss did not fall");
        Assert.True(result.Last.TestAccuracy > minimumAccuracy, $"{loss}: {result.Last.TestAccuracy:P1}");
    }
}

public class RegressionTrainingTests
{
    [Fact]
    public void LinearRegression_OnCsvStyleTargets_RecoversTheWeights()
    {
        // y = 3a − 2b + 0.5, learned by a 2-1 network (no hidden layer) with the squared loss.
        var random = new Random(4);
        var features = new float[400 * 2];
        var targets = new float[400];
        for (var i = 0; i < 400; i++)
        {
            features[2 * i] = (float)(random.NextDouble() * 2 - 1);
            features[2 * i + 1] = (float)(random.NextDouble() * 2 - 1);
            targets[i] = 3 * features[2 * i] - 2 * features[2 * i + 1] + 0.5f;
        }
        var data = new Dataset("line", features, [2], targets, targetWidth: 1);
        var options = new TrainingOptions(new ModelSpec(NetworkSpec.Parse("2-1"), LossKind.SquaredError), new SgdOptions(0.1f), Epochs: 30, BatchSize: 16, Threads: 2);
        using var trainer = new LocalTrainer(options, data);
        var result = trainer.Train();
        Assert.True(result.Last.TrainLoss < 1e-6, $"loss {result.Last.TrainLoss}");
        Assert.Equal(3f, trainer.Parameters[0], 2);
        Assert.Equal(-2f, trainer.Parameters[1], 2);
        Assert.Equal(0.5f, trainer.Parameters[2], 2);
    }

    [Fact]
    public void RegressionData_WithAClassificationLoss_IsRejected()
    {
        var data = new Dataset("line", new float[4], [2], new float[2], targetWidth: 1);
        var options = new TrainingOptions(new ModelSpec(NetworkSpec.Parse("2-1"), LossKind.CrossEntropy), new SgdOptions());
        Assert.Contains("class labels", Assert.Throws<ArgumentException>(() => new LocalTrainer(options, data)).Message);
    }

    [Fact]
    public void LossNames_ReadBackAsTheSameLoss()
    {
        foreach (var loss in Enum.GetValues<LossKind>())
        {
            Assert.Equal(loss, ModelSpec.ParseLoss(ModelSpec.LossName(loss)));
        }
    }
}
