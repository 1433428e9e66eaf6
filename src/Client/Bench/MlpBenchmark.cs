using System.Diagnostics;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;

namespace DistTrain.Client.Bench;

/// <summary>One measured configuration, as printed and as JSON.</summary>
internal sealed record BenchResult(
    string Model, int Batch, int Threads, double SamplesPerSecond, double Gflops, double AllocatedBytesPerStep,
    double MedianEpochSeconds, int Epochs, double TestAccuracy);

/// <summary>
/// Trains full epochs of MNIST the way pytorch_mlp.py does (plain SGD, lr 0.1, softmax cross-entropy,
/// warm-up steps thrown away, parameters reset) and reports the median epoch.
/// </summary>
internal static class MlpBenchmark
{
    public static BenchResult Run(NetworkSpec spec, int batch, int epochs, int threads, Dataset train, Dataset test)
    {
        var options = new TrainingOptions(new ModelSpec(spec), new SgdOptions(0.1f), epochs, batch, Seed: 1, Threads: threads);
        var initial = ParameterInit.Initialize(spec, options.Seed);
        using var trainer = new LocalTrainer(options, train, (float[])initial.Clone());

        // Warm-up (tiered JIT, buffers, caches), then start again from the initial parameters.
        trainer.RunEpoch(10_000);
        initial.CopyTo(trainer.Parameters, 0);
        var optimizerReset = new LocalTrainer(options, train, trainer.Parameters);
        optimizerReset.Dispose();

        var seconds = new List<double>();
        double allocatedPerStep = 0;
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var watch = Stopwatch.StartNew();
            trainer.RunEpoch(epoch);
            seconds.Add(watch.Elapsed.TotalSeconds);
            allocatedPerStep = (double)(GC.GetTotalAllocatedBytes(precise: true) - allocated) / trainer.StepsPerEpoch;
        }
        seconds.Sort();
        var median = seconds[seconds.Count / 2];
        var samplesPerSecond = train.Count / median;
        var accuracy = Evaluator.Accuracy(spec, trainer.Parameters, test);
        return new BenchResult(spec.ToString(), batch, trainer.Threads, samplesPerSecond,
            FlopsPerSample(spec) * samplesPerSecond / 1e9, allocatedPerStep, median, epochs, accuracy);
    }

    /// <summary>Forward 2 FLOP per weight, backward 4 (dW and dX) except the first layer's dX,
    /// which is not needed: the same count as the PyTorch reference.</summary>
    public static double FlopsPerSample(NetworkSpec spec)
    {
        var first = (double)spec.LayerSizes[0] * spec.LayerSizes[1];
        return 6.0 * spec.WeightCount - 2.0 * first;
    }
}
