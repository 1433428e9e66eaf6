using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using DistTrain.Core.Autodiff;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;

namespace DistTrain.Core.Training;

/// <summary>Accuracy and confusion matrix of a classifier on a dataset (no gradients recorded).</summary>
public static class Evaluator
{
    private const int Chunk = 1000;

    public sealed record Evaluation(double Accuracy, int[,] Confusion, int Count)
    {
        /// <summary>Correctly classified samples (Accuracy × Count, exactly).</summary>
        public int Correct { get; init; }
    }

    public static double Accuracy(NetworkSpec spec, float[] parameters, Dataset data) =>
        Evaluate(spec, parameters, data).Accuracy;

    /// <summary>Confusion[actual, predicted] over every sample of <paramref name="data"/>.</summary>
    public static Evaluation Evaluate(NetworkSpec spec, float[] parameters, Dataset data) =>
        Evaluate(spec, parameters, data, 0, data.Count);

    /// <summary>The same over samples [<paramref name="first"/>, first + <paramref name="count"/>): how
    /// several workers split one test set (their correct counts add up to the whole's).</summary>
    public static Evaluation Evaluate(NetworkSpec spec, float[] parameters, Dataset data, int first, int count)
    {
        if (first < 0 || count < 0 || first + count > data.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(first), $"Samples [{first}, {first + count}) are not all in dataset '{data.Name}' ({data.Count} samples).");
        }
        if (!data.IsClassification)
        {
            throw new ArgumentException($"Dataset '{data.Name}' has no class labels to measure accuracy on.");
        }
        var network = new Network<float>(spec, parameters);
        var classes = Math.Max(spec.OutputSize, data.ClassCount);
        var confusion = new int[classes, classes];
        var correct = 0;
        var features = new float[Math.Min(Chunk, count) * data.FeatureCount];
        var indices = new int[Math.Min(Chunk, count)];
        var labels = new int[indices.Length];
        using var _ = NoGradScope.Begin();
        for (var start = first; start < first + count; start += Chunk)
        {
            var n = Math.Min(Chunk, first + count - start);
            for (var i = 0; i < n; i++)
            {
                indices[i] = start + i;
            }
            BatchGather.Gather(data, indices.AsSpan(0, n), features, labels);
            var x = Tensor.View(features, 0, n, data.FeatureCount);
            var logits = network.Forward(x).Data;
            for (var i = 0; i < n; i++)
            {
                var predicted = TensorPrimitives.IndexOfMax<float>(logits.Slice(i * spec.OutputSize, spec.OutputSize));
                confusion[labels[i], predicted]++;
                if (predicted == labels[i])
                {
                    correct++;
                }
            }
        }
        return new Evaluation(count == 0 ? 0 : (double)correct / count, confusion, count) { Correct = correct };
    }
}
