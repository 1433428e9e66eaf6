using DistTrain.Core.Training;

namespace DistTrain.Client.Reports;

/// <summary>
/// The curves of one run: the training loss by global step and the epochs' results. A long run
/// keeps at most <see cref="MaxSteps"/> step points (every other one is dropped, and then only
/// every second step recorded, whenever the limit is reached), so memory stays bounded.
/// </summary>
internal sealed class RunHistory : IRunObserver
{
    public const int MaxSteps = 20_000;
    private readonly List<(long Step, double Loss)> _steps = [];
    private readonly List<EpochResult> _epochs = [];
    private long _stride = 1;

    public IReadOnlyList<(long Step, double Loss)> Steps => _steps;

    public IReadOnlyList<EpochResult> Epochs => _epochs;

    /// <summary>Global steps per epoch (0 until a step is seen).</summary>
    public int StepsPerEpoch { get; private set; }

    public void OnStep(StepProgress step)
    {
        StepsPerEpoch = step.StepsPerEpoch;
        var global = GlobalStep(step);
        if (global % _stride != 0 || (_steps.Count > 0 && _steps[^1].Step >= global))
        {
            return;
        }
        _steps.Add((global, step.Loss));
        if (_steps.Count >= MaxSteps)
        {
            _stride *= 2;
            _steps.RemoveAll(s => s.Step % _stride != 0);
        }
    }

    public void OnEpoch(EpochResult epoch) => _epochs.Add(epoch);

    /// <summary>Steps counted from 1 over the whole run.</summary>
    public static long GlobalStep(StepProgress step) => (long)(step.Epoch - 1) * step.StepsPerEpoch + step.Step;
}
