namespace DistTrain.Core.Training;

/// <summary>
/// One epoch's running sums, kept the same way by every trainer (the local one and the cluster's
/// job): the loss weighted by samples, so the epoch's loss is the mean over its samples whatever
/// the batch sizes, and the divergence check, so a NaN stops training where it appeared.
/// </summary>
public sealed class EpochTotals
{
    public double LossSum { get; private set; }

    public long Samples { get; private set; }

    /// <summary>Optimizer steps counted (local SGD counts each of a round's H steps).</summary>
    public int Steps { get; private set; }

    public double LastLoss { get; private set; }

    /// <summary>The mean loss per sample so far (0 before the first step).</summary>
    public double MeanLoss => LossSum / Math.Max(Samples, 1);

    /// <summary>Adds a step (or a round of <paramref name="steps"/> local steps) whose mean loss over
    /// <paramref name="samples"/> samples was <paramref name="loss"/>.</summary>
    /// <param name="stepInEpoch">The step's 0-based index in its epoch, for the divergence message.</param>
    /// <exception cref="TrainingDivergedException">The loss is NaN or infinite.</exception>
    public void Add(int epoch, int stepInEpoch, double loss, long samples, int steps = 1)
    {
        if (!double.IsFinite(loss))
        {
            throw new TrainingDivergedException(epoch, stepInEpoch + 1, (float)loss);
        }
        LossSum += loss * samples;
        Samples += samples;
        Steps += steps;
        LastLoss = loss;
    }
}
