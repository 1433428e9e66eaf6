namespace DistTrain.Core.Training;

/// <summary>
/// A value by step (a loss curve) in bounded memory: at most <see cref="MaxPoints"/> points; when
/// full, every other point is dropped and only every second step after that is kept, so a long
/// run's curve stays evenly spaced. Steps only move forward (<see cref="TruncateAfter"/> takes back
/// what a rollback redoes).
/// </summary>
public sealed class StepCurve(int maxPoints)
{
    private readonly List<long> _steps = [];
    private readonly List<double> _values = [];
    private long _stride = 1;

    public int MaxPoints => maxPoints;

    public IReadOnlyList<long> Steps => _steps;

    public IReadOnlyList<double> Values => _values;

    public void Add(long step, double value)
    {
        if (step % _stride != 0 || (_steps.Count > 0 && step <= _steps[^1]))
        {
            return;
        }
        _steps.Add(step);
        _values.Add(value);
        if (_steps.Count >= maxPoints)
        {
            _stride *= 2;
            var kept = 0;
            for (var i = 0; i < _steps.Count; i++)
            {
                if (_steps[i] % _stride == 0)
                {
                    _steps[kept] = _steps[i];
                    _values[kept++] = _values[i];
                }
            }
            _steps.RemoveRange(kept, _steps.Count - kept);
            _values.RemoveRange(kept, _values.Count - kept);
        }
    }

    /// <summary>Forgets the points after <paramref name="step"/>.</summary>
    public void TruncateAfter(long step)
    {
        var keep = _steps.FindLastIndex(s => s <= step) + 1;
        _steps.RemoveRange(keep, _steps.Count - keep);
        _values.RemoveRange(keep, _values.Count - keep);
    }
}
