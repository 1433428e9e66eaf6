using System.Diagnostics;

namespace DistTrain.Core.Training;

/// <summary>How many epochs, steps and local steps a run has: what <see cref="EpochDriver"/> walks.</summary>
/// <param name="Epochs">The last epoch (epochs count from 1; the number also seeds the sample order).</param>
/// <param name="TotalSteps">Global steps in all (fewer than Epochs × StepsPerEpoch with a step limit).</param>
/// <param name="SyncEvery">H: steps a round takes between two averagings (1: plain synchronous SGD).</param>
public readonly record struct EpochSchedule(int Epochs, int StepsPerEpoch, long TotalSteps, int SyncEvery = 1);

/// <summary>What a trainer does at each point of the loop <see cref="EpochDriver"/> runs: the local
/// trainer in one process, and the job grain's cluster across silos.</summary>
public interface IEpochSteps
{
    /// <summary>Epoch <paramref name="epoch"/> starts, or resumes part-way.</summary>
    void BeginEpoch(int epoch);

    /// <summary>Runs at least one and at most <paramref name="left"/> steps of epoch
    /// <paramref name="epoch"/> from its batch <paramref name="stepInEpoch"/> (global step
    /// <paramref name="step"/>), in rounds of <paramref name="h"/>, adding their losses to
    /// <paramref name="totals"/> (which stops a diverging run); returns the steps done.</summary>
    ValueTask<int> RunAsync(int epoch, int stepInEpoch, long step, int h, int left, EpochTotals totals, CancellationToken cancellation);

    /// <summary>Steps before global step <paramref name="step"/> are done, <paramref name="seconds"/>
    /// into the epoch; <paramref name="endOfEpoch"/> after its last.</summary>
    void OnSteps(int epoch, long step, int stepInEpoch, EpochTotals totals, double seconds, bool endOfEpoch);

    /// <summary>The epoch ended, after <paramref name="trainingSeconds"/> of training: evaluate, report, keep its state.</summary>
    ValueTask EndEpochAsync(int epoch, EpochTotals totals, double trainingSeconds, CancellationToken cancellation);
}

/// <summary>
/// The one epoch and step loop of DistTrain: epochs from the one after the last finished, each from
/// the batch it stands at, in rounds of H steps (the epoch's, or the run's, last round shorter), the
/// sample-weighted loss and the divergence check in <see cref="EpochTotals"/>, and the end of each
/// epoch. The local trainer and the cluster's job both run it, so both step alike; what a step is
/// (threads in this process, or worker grains and parameter-server slices) is theirs.
/// </summary>
public static class EpochDriver
{
    /// <summary>Epochs <paramref name="finishedEpochs"/> + 1 … <see cref="EpochSchedule.Epochs"/>, from
    /// global step <paramref name="firstStep"/>, until <see cref="EpochSchedule.TotalSteps"/>.</summary>
    public static async ValueTask RunAsync(IEpochSteps steps, EpochSchedule schedule, int finishedEpochs, long firstStep, CancellationToken cancellation)
    {
        var step = firstStep;
        for (var epoch = finishedEpochs + 1; epoch <= schedule.Epochs && step < schedule.TotalSteps; epoch++)
        {
            var totals = new EpochTotals();
            var start = Stopwatch.GetTimestamp();
            step = await RunEpochAsync(steps, schedule, epoch, step, totals, cancellation);
            await steps.EndEpochAsync(epoch, totals, Stopwatch.GetElapsedTime(start).TotalSeconds, cancellation); // evaluation is not training time
        }
    }

    /// <summary>The rest of epoch <paramref name="epoch"/> from global step <paramref name="step"/>
    /// (its batch is <c>step mod StepsPerEpoch</c>); returns the global step after it.</summary>
    public static async ValueTask<long> RunEpochAsync(IEpochSteps steps, EpochSchedule schedule, int epoch, long step, EpochTotals totals,
        CancellationToken cancellation)
    {
        var start = Stopwatch.GetTimestamp();
        steps.BeginEpoch(epoch);
        var b = (int)(step % schedule.StepsPerEpoch);
        while (b < schedule.StepsPerEpoch && step < schedule.TotalSteps)
        {
            cancellation.ThrowIfCancellationRequested();
            var left = (int)Math.Min(schedule.StepsPerEpoch - b, schedule.TotalSteps - step);
            var h = Math.Min(schedule.SyncEvery, left);
            var done = await steps.RunAsync(epoch, b, step, h, left, totals, cancellation);
            b += done;
            step += done;
            steps.OnSteps(epoch, step, b, totals, Stopwatch.GetElapsedTime(start).TotalSeconds,
                endOfEpoch: b == schedule.StepsPerEpoch || step == schedule.TotalSteps);
        }
        return step;
    }
}
