using System.Diagnostics;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Training;

namespace DistTrain.Worker.Training;

/// <summary>What the epoch loop tells its job as it goes.</summary>
internal interface IEpochObserver
{
    /// <summary>Steps up to <paramref name="step"/> (exclusive) are done; <paramref name="endOfRun"/>
    /// when a run or an epoch just ended (worth telling watchers at once).</summary>
    void OnSteps(int epoch, long step, double loss, double samplesPerSecond, long version, bool endOfRun);

    /// <summary>Global step <paramref name="step"/> (from 1) had this mean loss: every step, also inside runs.</summary>
    void OnStepLoss(long step, double loss);

    /// <summary>An epoch ended: its summary and the parameters' state at its end (a rollback goes back to it).</summary>
    Task OnEpochAsync(EpochSummary summary, ParameterCheckpoint state);
}

/// <summary>
/// A job's epochs over its <see cref="JobCluster"/>, from the one after the last finished to the end,
/// walked by Core's <see cref="EpochDriver"/> (as the local trainer's are): here a step is one call
/// each (one silo) or part of a run paced over the data plane (several), a round of H local steps
/// with --sync-every, and an epoch's end evaluates and keeps the parameters' state. Knows nothing of
/// grains: the job grain observes it (<see cref="IEpochObserver"/>).
/// </summary>
internal sealed class EpochLoop(JobCluster cluster, JobSpec spec, int stepsPerEpoch, long totalSteps, IEpochObserver observer) : IEpochSteps
{
    private int _runSteps = 8;

    public StepTimer Timings { get; } = new();

    public TrafficMeter Traffic { get; } = new();

    /// <summary>Each worker's compute time per step so far, with its silo.</summary>
    public IReadOnlyList<WorkerTiming> WorkerTimings() => cluster.Times.Snapshot(cluster.Workers);

    /// <param name="finishedEpochs">Epochs already done (a resumed or rolled-back job): the loop starts after them.</param>
    public Task RunAsync(int finishedEpochs, CancellationToken cancellation) =>
        EpochDriver.RunAsync(this, new EpochSchedule(spec.Epochs, stepsPerEpoch, totalSteps, spec.SyncEvery), finishedEpochs,
            cluster.AppliedStep + 1, cancellation).AsTask();

    void IEpochSteps.BeginEpoch(int epoch)
    {
        // Each worker derives the epoch's sample order itself, from (seed, epoch).
    }

    ValueTask<int> IEpochSteps.RunAsync(int epoch, int stepInEpoch, long step, int h, int left, EpochTotals totals, CancellationToken cancellation) =>
        cluster.RunsOnDataPlane
            ? new ValueTask<int>(RunAsync(epoch, stepInEpoch, step, h, Math.Max(1, Math.Min(left / h, _runSteps)), totals))
            : new ValueTask<int>(StepAsync(epoch, stepInEpoch, step, h, totals, cancellation));

    void IEpochSteps.OnSteps(int epoch, long step, int stepInEpoch, EpochTotals totals, double seconds, bool endOfEpoch) =>
        observer.OnSteps(epoch, step, totals.LastLoss, totals.Samples / Math.Max(seconds, 1e-9), cluster.Version,
            endOfRun: cluster.RunsOnDataPlane || endOfEpoch);

    async ValueTask IEpochSteps.EndEpochAsync(int epoch, EpochTotals totals, double trainingSeconds, CancellationToken cancellation)
    {
        var (tested, correct) = await cluster.EvaluateAsync(cancellation);
        var summary = new EpochSummary
        {
            Epoch = epoch,
            Steps = totals.Steps,
            TrainLoss = totals.MeanLoss,
            TestAccuracy = tested == 0 ? 0 : (double)correct / tested,
            SamplesPerSecond = totals.Samples / Math.Max(trainingSeconds, 1e-9),
        };
        // The epoch counts once its state is kept: a slice lost before that redoes it.
        ParameterCheckpoint state;
        try
        {
            state = await cluster.CheckpointAsync();
        }
        catch (Exception e) when (JobCluster.IsLoss(e))
        {
            throw new JobRollbackException($"the state at the end of epoch {epoch} could not be read: {e.Message}", e);
        }
        await observer.OnEpochAsync(summary, state);
    }

    /// <summary>One step (or round) through the job: the groups' gradients, then the slices' update. Returns the steps done.</summary>
    private async Task<int> StepAsync(int epoch, int b, long step, int h, EpochTotals totals, CancellationToken cancellation)
    {
        var stepStart = Stopwatch.GetTimestamp();
        var (groups, groupSeconds) = await cluster.ComputeAsync(epoch, b, step, h, cancellation);
        var slices = await cluster.ApplyAsync(epoch, b, step, h, groups, cancellation);
        Timings.Add(groups, slices, groupSeconds, Stopwatch.GetElapsedTime(stepStart).TotalSeconds);
        Observe(groups.Select(g => g.Traffic).Concat(slices.Select(s => s.Traffic)), step);

        // The count-weighted mean of the shards' mean losses, in shard order.
        double sum = 0;
        long samples = 0;
        foreach (var shard in groups.SelectMany(g => g.Losses).OrderBy(l => l.Shard))
        {
            sum += shard.Loss * shard.Count;
            samples += shard.Count;
        }
        totals.Add(epoch, b, samples == 0 ? 0 : sum / samples, samples, h);
        observer.OnStepLoss(step + h, totals.LastLoss);
        return h;
    }

    /// <summary>A run of <paramref name="count"/> rounds of <paramref name="h"/> steps paced over the
    /// data plane. A failure part-way may leave the slices at different versions: it is thrown as a
    /// <see cref="JobRollbackException"/>. Returns the steps done.</summary>
    private async Task<int> RunAsync(int epoch, int b, long step, int h, int count, EpochTotals totals)
    {
        var runStart = Stopwatch.GetTimestamp();
        GroupRunResult[] groups;
        SliceWeights[] slices;
        try
        {
            (groups, slices) = await cluster.RunAsync(epoch, b, step, count, h);
        }
        catch (Exception e) when (JobCluster.IsLoss(e) || e is ParameterSliceLostException)
        {
            throw new JobRollbackException($"steps {step}–{step + (long)count * h - 1} failed: {e.Message}", e);
        }
        catch (WorkerStuckException e) when (cluster.MayRetry(e))
        {
            // The run stopped part-way, the slices perhaps at different versions: the epoch is redone.
            throw new JobRollbackException($"steps {step}–{step + (long)count * h - 1} stopped: {e.Message}", e);
        }
        var seconds = Stopwatch.GetElapsedTime(runStart).TotalSeconds;
        // Runs of about a tenth of a second: progress stays live and a cancel prompt.
        _runSteps = Math.Clamp((int)(0.1 * count / Math.Max(seconds, 1e-6)), 1, 1024);
        Timings.AddRun(groups, slices, count * h, seconds);
        Observe(groups.Select(g => g.Traffic).Concat(slices.Select(s => s.Traffic)), step + (long)count * h);
        for (var i = 0; i < count; i++)
        {
            var samples = groups.Sum(g => (long)g.Samples[i]);
            totals.Add(epoch, b + i * h, groups.Sum(g => g.LossSums[i]) / Math.Max(1, samples), samples, h);
            observer.OnStepLoss(step + (long)(i + 1) * h, totals.LastLoss);
        }
        return count * h;
    }

    private void Observe(IEnumerable<DataPlaneTraffic> traffic, long step)
    {
        foreach (var silo in traffic)
        {
            Traffic.Observe(silo, step);
        }
    }
}
