using DistTrain.Contracts.Messages;
using DistTrain.Core.Data;
using DistTrain.Core.Training;
using DistTrain.Worker.Training;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>
/// The core's single-process trainer, stepped through the same (seed, epoch) orders and global
/// batches as a job: what K workers must reproduce.
/// </summary>
internal static class SingleProcessReference
{
    private static readonly Lazy<Dataset> MnistTrain = new(() => MnistLoader.Load(DatasetLocator.FindShippedMnist()).Train);

    /// <param name="groups">The job's reduction groups (its status' <c>Groups</c>): one per silo it started on.</param>
    public static float[] Train(JobSpec spec, long steps, int threads = 1, int groups = 1)
    {
        var train = spec.TrainLimit > 0 ? MnistTrain.Value.Take(spec.TrainLimit) : MnistTrain.Value;
        var options = TrainingSetup.Create(spec).ToTrainingOptions(threads, groups) with { MaxSteps = steps };
        using var trainer = new LocalTrainer(options, train);
        trainer.Train();
        return trainer.Parameters;
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
