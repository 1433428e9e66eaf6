namespace DistTrain.Worker.Training;

/// <summary>
/// The per-step deadline, derived from recent step times: <see cref="StepDeadlineOptions.Factor"/>
/// times the slowest of the last <see cref="Window"/> steps, never below the floor. Before any step
/// is timed (the first one compiles code and warms caches) the floor alone.
/// </summary>
internal sealed class StepDeadline(StepDeadlineOptions options)
{
    private const int Window = 32;
    private readonly double[] _recent = new double[Window];
    private int _count;

    /// <summary>A call that covered <paramref name="rounds"/> steps (or rounds of local steps) took <paramref name="seconds"/>.</summary>
    public void Observe(double seconds, int rounds)
    {
        _recent[_count++ % Window] = seconds / Math.Max(1, rounds);
    }

    /// <summary>How long a worker may take over <paramref name="rounds"/> steps (or rounds).</summary>
    public TimeSpan For(int rounds)
    {
        var slowest = 0.0;
        for (var i = 0; i < Math.Min(_count, Window); i++)
        {
            slowest = Math.Max(slowest, _recent[i]);
        }
        var derived = TimeSpan.FromSeconds(Math.Min(slowest * options.Factor * Math.Max(1, rounds), TimeSpan.FromHours(1).TotalSeconds));
        return derived > options.Floor ? derived : options.Floor;
    }
}
