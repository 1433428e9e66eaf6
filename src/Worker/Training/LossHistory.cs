using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

/// <summary>
/// The loss curve a job keeps for its dashboard: at most <see cref="MaxPoints"/> points; when full,
/// every other point is dropped and only every second step after that is kept, so a long job's
/// curve stays evenly spaced in bounded memory.
/// </summary>
internal sealed class LossHistory
{
    public const int MaxPoints = 4096;
    private readonly List<long> _steps = [];
    private readonly List<double> _losses = [];
    private long _stride = 1;

    public void Add(long step, double loss)
    {
        if (step % _stride != 0 || (_steps.Count > 0 && step <= _steps[^1]))
        {
            return;
        }
        _steps.Add(step);
        _losses.Add(loss);
        if (_steps.Count >= MaxPoints)
        {
            _stride *= 2;
            for (var i = _steps.Count - 1; i >= 0; i--)
            {
                if (_steps[i] % _stride != 0)
                {
                    _steps.RemoveAt(i);
                    _losses.RemoveAt(i);
                }
            }
        }
    }

    /// <summary>Forgets the steps after <paramref name="step"/> (a rollback redoes them).</summary>
    public void TruncateAfter(long step)
    {
        var keep = _steps.FindLastIndex(s => s <= step) + 1;
        _steps.RemoveRange(keep, _steps.Count - keep);
        _losses.RemoveRange(keep, _losses.Count - keep);
    }

    public LossCurve Snapshot() => new() { Steps = _steps.ToArray(), Losses = _losses.ToArray() };
}
