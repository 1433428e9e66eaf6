using DistTrain.Core.Data;
using DistTrain.Core.Nn;

namespace DistTrain.Client.Bench;

/// <summary>One measured configuration, as printed and as JSON.</summary>
internal sealed record BenchResult(
    string Model, int Batch, int Threads, double SamplesPerSecond, double Gflops, double AllocatedBytesPerStep,
    double MedianEpochSeconds, int Epochs, double TestAccuracy);

/// <summary>
/// Trains full epochs of MNIST the way pytorch_mlp.py does (plain SGD, lr 0.1, softmax cross-entropy,
/// a warm-up thrown away) and reports the median epoch.
/// </summary>
internal static class MlpBenchmark
{
    public static BenchResult Run(NetworkSpec spec, int batch, int epochs, int threads, Dataset train, Dataset test)
    {
        using var timer = new LocalEpochTimer(spec, batch, threads, train);
        var seconds = Enumerable.Range(0, epochs).Select(_ => timer.TimeEpoch()).ToList();
        return timer.Result(seconds, test);
    }

    /// <summary>Forward 2 FLOP per weight, backward 4 (dW and dX) except the first layer's dX,
    /// which is not needed: the same count as the PyTorch reference.</summary>
    public static double FlopsPerSample(NetworkSpec spec)
    {
        var first = (double)spec.LayerSizes[0] * spec.LayerSizes[1];
        return 6.0 * spec.WeightCount - 2.0 * first;
    }

    /// <summary>The median of a non-empty list.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}
