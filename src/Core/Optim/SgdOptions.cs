namespace DistTrain.Core.Optim;

/// <summary>Settings of stochastic gradient descent.</summary>
/// <param name="LearningRate">Step size η (before the schedule).</param>
/// <param name="Momentum">μ in v ← μv + g; 0 for plain SGD.</param>
/// <param name="Nesterov">Step along g + μv (look-ahead) instead of v.</param>
/// <param name="WeightDecay">λ: adds λ·w to the gradient (L2 regularisation).</param>
/// <param name="ClipNorm">Rescales the gradient to this L2 norm when it is longer; null: no clipping.</param>
/// <param name="Schedule">How η changes with the step number.</param>
public sealed record SgdOptions(
    float LearningRate = 0.1f,
    float Momentum = 0f,
    bool Nesterov = false,
    float WeightDecay = 0f,
    float? ClipNorm = null,
    LearningRateSchedule? Schedule = null)
{
    /// <summary>Throws with the name of the first invalid setting.</summary>
    public void Validate()
    {
        if (!(LearningRate > 0) || !float.IsFinite(LearningRate))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), $"The learning rate must be a positive number; got {LearningRate}.");
        }
        if (!(Momentum >= 0 && Momentum < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Momentum), $"Momentum must be in [0, 1); got {Momentum}.");
        }
        if (Nesterov && Momentum == 0)
        {
            throw new ArgumentException("Nesterov momentum needs a momentum above 0.", nameof(Nesterov));
        }
        if (!(WeightDecay >= 0) || !float.IsFinite(WeightDecay))
        {
            throw new ArgumentOutOfRangeException(nameof(WeightDecay), $"Weight decay must be zero or positive; got {WeightDecay}.");
        }
        if (ClipNorm is { } clip && !(clip > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(ClipNorm), $"The clipping norm must be positive; got {clip}.");
        }
        Schedule?.Validate();
    }
}
