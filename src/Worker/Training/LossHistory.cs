using DistTrain.Contracts.Messages;
using DistTrain.Core.Training;

namespace DistTrain.Worker.Training;

/// <summary>The loss curve a job keeps for its dashboard (a <see cref="StepCurve"/> of 4,096 points).</summary>
internal sealed class LossHistory
{
    public const int MaxPoints = 4096;
    private readonly StepCurve _curve = new(MaxPoints);

    public void Add(long step, double loss) => _curve.Add(step, loss);

    /// <summary>Forgets the steps after <paramref name="step"/> (a rollback redoes them).</summary>
    public void TruncateAfter(long step) => _curve.TruncateAfter(step);

    public LossCurve Snapshot() => new() { Steps = _curve.Steps.ToArray(), Losses = _curve.Values.ToArray() };
}
