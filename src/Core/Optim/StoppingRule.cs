namespace DistTrain.Core.Optim;

/// <summary>
/// The lecture's stopping rule for gradient descent: stop when the gradient norm falls below ε
/// (a stationary point, to that tolerance) or when the iteration budget is spent.
/// </summary>
public sealed record StoppingRule(float Epsilon = 1e-4f, long MaxIterations = 10_000)
{
    public bool ShouldStop(float gradientNorm, long iteration) =>
        gradientNorm < Epsilon || iteration >= MaxIterations;
}
