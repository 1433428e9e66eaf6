namespace DistTrain.Core.Training;

/// <summary>Per-epoch figures. Samples/s counts training only (evaluation is not timed).</summary>
public sealed record EpochResult(int Epoch, double TrainLoss, double TestAccuracy, double Seconds, double SamplesPerSecond);

/// <summary>Reported after every step, for progress displays.</summary>
public readonly record struct StepProgress(int Epoch, int Step, int StepsPerEpoch, float Loss, double SamplesPerSecond);

public sealed record TrainingResult(IReadOnlyList<EpochResult> Epochs, float[] Parameters)
{
    public EpochResult Last => Epochs[^1];
}
