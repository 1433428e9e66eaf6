using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

/// <summary>Accumulates where each synchronous step's time goes (see <see cref="StepTimings"/>).</summary>
internal sealed class StepTimer
{
    private long _steps;
    private double _step, _compute, _slowest, _transport, _update, _updateCall, _aggregation, _dataPlane;

    /// <param name="groups">The groups' answers.</param>
    /// <param name="slices">The slices' answers.</param>
    /// <param name="groupPhaseSeconds">Wall time from sending the step to the last group's answer.</param>
    /// <param name="stepSeconds">Wall time of the whole step.</param>
    public void Add(IReadOnlyList<GroupGradient> groups, IReadOnlyList<SliceWeights> slices, double groupPhaseSeconds, double stepSeconds)
    {
        var (maxCompute, computeSum, workers, maxCombine, maxFetch) =
            Slowest(groups.Select(g => (g.MeanComputeSeconds, g.MaxComputeSeconds, g.Workers, g.CombineSeconds, g.FetchSeconds)));
        double maxUpdate = 0, maxSliceFetch = 0;
        foreach (var slice in slices)
        {
            maxUpdate = Math.Max(maxUpdate, slice.UpdateSeconds);
            maxSliceFetch = Math.Max(maxSliceFetch, slice.FetchSeconds);
        }
        var mean = workers == 0 ? 0 : computeSum / workers;
        _steps++;
        _step += stepSeconds;
        _compute += mean;
        _slowest += maxCompute - mean;
        _aggregation += maxCombine;
        _update += maxUpdate;
        _dataPlane += maxFetch + maxSliceFetch;
        _transport += Math.Max(0, stepSeconds - maxCompute - maxCombine - maxUpdate);
        _updateCall += Math.Max(0, stepSeconds - groupPhaseSeconds - maxUpdate);
        Telemetry.TrainingMetrics.RecordSteps(1, groups.Sum(g => (long)g.SampleCount), stepSeconds, mean, maxCompute - mean, maxCombine,
            Math.Max(0, stepSeconds - maxCompute - maxCombine - maxUpdate), maxUpdate);
    }

    /// <summary>A run of <paramref name="steps"/> steps paced over the data plane, lasting <paramref name="seconds"/>.</summary>
    public void AddRun(IReadOnlyList<GroupRunResult> groups, IReadOnlyList<SliceWeights> slices, int steps, double seconds)
    {
        var (maxCompute, computeSum, workers, maxCombine, maxFetch) =
            Slowest(groups.Select(g => (g.MeanComputeSeconds, g.MaxComputeSeconds, g.Workers, g.CombineSeconds, g.FetchSeconds)));
        double maxUpdate = 0;
        foreach (var slice in slices)
        {
            maxUpdate = Math.Max(maxUpdate, slice.UpdateSeconds);
        }
        // All summed over the run's steps (the slowest worker: its step by step maxima).
        var mean = workers == 0 ? 0 : computeSum / workers;
        var slowest = Math.Max(maxCompute, mean);
        _steps += steps;
        _step += seconds;
        _compute += mean;
        _slowest += slowest - mean;
        _aggregation += maxCombine;
        _update += maxUpdate;
        // The groups' waits for the weights cover the slices' waits for the gradients and the update.
        _dataPlane += Math.Max(0, maxFetch - maxUpdate);
        _transport += Math.Max(0, seconds - slowest - maxCombine - maxUpdate);
        var perStep = 1.0 / Math.Max(1, steps);
        Telemetry.TrainingMetrics.RecordSteps(steps, groups.Sum(g => g.Samples.Sum(n => (long)n)), seconds * perStep, mean * perStep, (slowest - mean) * perStep,
            maxCombine * perStep, Math.Max(0, seconds - slowest - maxCombine - maxUpdate) * perStep, maxUpdate * perStep);
    }

    /// <summary>Over the groups: the slowest worker, the total compute, the workers, the slowest combine and fetch.</summary>
    private static (double MaxCompute, double ComputeSum, int Workers, double MaxCombine, double MaxFetch) Slowest(
        IEnumerable<(double Mean, double Max, int Workers, double Combine, double Fetch)> groups)
    {
        double maxCompute = 0, computeSum = 0, maxCombine = 0, maxFetch = 0;
        var workers = 0;
        foreach (var group in groups)
        {
            maxCompute = Math.Max(maxCompute, group.Max);
            computeSum += group.Mean * group.Workers;
            workers += group.Workers;
            maxCombine = Math.Max(maxCombine, group.Combine);
            maxFetch = Math.Max(maxFetch, group.Fetch);
        }
        return (maxCompute, computeSum, workers, maxCombine, maxFetch);
    }

    public StepTimings Snapshot()
    {
        var perStep = _steps == 0 ? 0 : 1000.0 / _steps;
        return new StepTimings
        {
            Steps = _steps,
            StepMs = _step * perStep,
            WorkerComputeMs = _compute * perStep,
            SlowestWorkerWaitMs = _slowest * perStep,
            TransportMs = _transport * perStep,
            UpdateMs = _update * perStep,
            UpdateCallMs = _updateCall * perStep,
            AggregationMs = _aggregation * perStep,
            DataPlaneMs = _dataPlane * perStep,
        };
    }
}
