using DistTrain.Contracts.Messages;
using DistTrain.Core.Data;
using DistTrain.Core.Nn;
using DistTrain.Core.Optim;
using DistTrain.Core.Training;
using DistTrain.Worker.Training;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>
/// Plain single-process minibatch SGD with the spec's seed, order and global batch: one replica
/// computes each whole batch's mean gradient, one optimizer applies it. What K workers must equal.
/// </summary>
internal static class SingleProcessReference
{
    public static float[] Train(JobSpec spec, long steps)
    {
        var setup = TrainingSetup.Create(spec);
        var (train, _) = MnistLoader.Load(DatasetLocator.FindShippedMnist());
        var count = spec.TrainLimit > 0 ? spec.TrainLimit : train.Count;
        var weights = ParameterInit.Initialize(setup.Network, spec.Seed);
        var optimizer = new SgdOptimizer(setup.Sgd, weights.Length);
        var replica = new ModelReplica(setup.Model, spec.GlobalBatchSize);
        var gradient = new float[weights.Length];
        var order = new int[count];
        long step = 0;
        for (var epoch = 0; step < steps; epoch++)
        {
            EpochOrder.Fill(spec.Seed, epoch, order);
            for (var start = 0; start < count && step < steps; start += spec.GlobalBatchSize, step++)
            {
                var rows = order.AsSpan(start, Math.Min(spec.GlobalBatchSize, count - start));
                replica.ComputeGradient(weights, train, rows, gradient);
                optimizer.Step(weights, gradient);
            }
        }

        return weights;
    }

    /// <summary>‖a − b‖₂ / ‖b‖₂.</summary>
    public static double RelativeDifference(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double diff = 0, norm = 0;
        for (var i = 0; i < b.Length; i++)
        {
            diff += Math.Pow(a[i] - (double)b[i], 2);
            norm += (double)b[i] * b[i];
        }

        return Math.Sqrt(diff / norm);
    }
}
