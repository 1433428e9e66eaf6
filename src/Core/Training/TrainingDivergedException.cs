namespace DistTrain.Core.Training;

/// <summary>
/// The loss stopped being a finite number: the step size is too large for this model and data
/// (or the data holds non-finite values). Training stops rather than carrying NaNs forward.
/// </summary>
public sealed class TrainingDivergedException(int epoch, int step, float loss)
    : ArithmeticException($"Training diverged at epoch {epoch}, step {step}: the loss is {loss}. Lower the learning rate (--lr) or clip the gradient (--clip-norm).")
{
    public int Epoch { get; } = epoch;

    public int Step { get; } = step;
}
