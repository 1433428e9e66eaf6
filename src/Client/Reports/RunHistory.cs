using DistTrain.Core.Training;

namespace DistTrain.Client.Reports;

/// <summary>The curves of one run: the training loss by global step (a <see cref="StepCurve"/> of
/// at most 20,000 points) and the epochs' results.</summary>
internal sealed class RunHistory : IRunObserver
{
    private readonly List<EpochResult> _epochs = [];

    public StepCurve Losses { get; } = new(20_000);

    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>Global steps per epoch (0 until a step is seen).</summary>
    public int StepsPerEpoch { get; private set; }

    public void OnStep(StepProgress step)
    {
        StepsPerEpoch = step.StepsPerEpoch;
        Losses.Add(GlobalStep(step), step.Loss);
    }

    public void OnEpoch(EpochResult epoch) => _epochs.Add(epoch);

    /// <summary>Steps counted from 1 over the whole run.</summary>
    public static long GlobalStep(StepProgress step) => (long)(step.Epoch - 1) * step.StepsPerEpoch + step.Step;
}
