using DistTrain.Worker.Training;

namespace DistTrain.Distributed.Tests;

/// <summary>The loss curve a job keeps for its dashboard: bounded, evenly thinned, rolled back with the job.</summary>
public sealed class LossHistoryTests
{
    [Fact]
    public void ALongJob_KeepsABoundedEvenlySpacedCurve()
    {
        var history = new LossHistory();
        for (long step = 1; step <= 100_000; step++)
        {
            history.Add(step, 1.0 / step);
        }
        var curve = history.Snapshot();
        Assert.InRange(curve.Steps.Count, LossHistory.MaxPoints / 4, LossHistory.MaxPoints);
        var gaps = curve.Steps.Zip(curve.Steps.Skip(1), (a, b) => b - a).Distinct().ToArray();
        Assert.Single(gaps); // one stride everywhere
        Assert.All(curve.Steps.Zip(curve.Losses), p => Assert.Equal(1.0 / p.First, p.Second));
    }

    [Fact]
    public void ARollback_ForgetsTheStepsItRedoes()
    {
        var history = new LossHistory();
        for (long step = 1; step <= 50; step++)
        {
            history.Add(step, step);
        }
        history.TruncateAfter(30);
        history.Add(31, -1);
        var curve = history.Snapshot();
        Assert.Equal(Enumerable.Range(1, 31).Select(s => (long)s), curve.Steps);
        Assert.Equal(-1, curve.Losses[^1]);
    }
}
