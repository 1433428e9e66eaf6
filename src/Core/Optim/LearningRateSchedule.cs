namespace DistTrain.Core.Optim;

public enum ScheduleKind
{
    Constant,

    /// <summary>η·γ^⌊step / StepSize⌋.</summary>
    Step,

    /// <summary>Cosine from η at step 0 down to MinimumFactor·η at TotalSteps.</summary>
    Cosine,
}

/// <summary>The learning-rate multiplier as a function of the (0-based) step number.</summary>
public sealed record LearningRateSchedule(
    ScheduleKind Kind = ScheduleKind.Constant,
    int StepSize = 1000,
    float Gamma = 0.1f,
    int TotalSteps = 10000,
    float MinimumFactor = 0f)
{
    public float Factor(long step) => Kind switch
    {
        ScheduleKind.Step => MathF.Pow(Gamma, step / StepSize),
        ScheduleKind.Cosine => MinimumFactor + (1 - MinimumFactor) * 0.5f *
            (1 + MathF.Cos(MathF.PI * Math.Min(step, TotalSteps) / TotalSteps)),
        _ => 1f,
    };

    public void Validate()
    {
        if (Kind == ScheduleKind.Step && (StepSize <= 0 || !(Gamma > 0)))
        {
            throw new ArgumentOutOfRangeException(nameof(StepSize), $"A step schedule needs StepSize > 0 and Gamma > 0; got {StepSize} and {Gamma}.");
        }
        if (Kind == ScheduleKind.Cosine && (TotalSteps <= 0 || MinimumFactor < 0 || MinimumFactor > 1))
        {
            throw new ArgumentOutOfRangeException(nameof(TotalSteps), $"A cosine schedule needs TotalSteps > 0 and MinimumFactor in [0, 1]; got {TotalSteps} and {MinimumFactor}.");
        }
    }
}
