using DistTrain.Core.Optim;

namespace DistTrain.Core.Training;

/// <summary>How to train: model, optimizer, epochs, global batch size, seed and cores.</summary>
/// <param name="Threads">Cores for the single-process trainer (data-parallel replicas); 0 = all.</param>
/// <param name="ReductionGroups">How the replicas' gradients are summed (<see cref="Training.ReductionGroups"/>):
/// 1, the plain shard-order sum, unless the trainer must reproduce a cluster job of that many silos bit for bit.</param>
public sealed record TrainingOptions(
    ModelSpec Model,
    SgdOptions Sgd,
    int Epochs = 5,
    int BatchSize = 64,
    int Seed = 1,
    int Threads = 0,
    int ReductionGroups = 1)
{
    /// <summary>Stop after this many optimizer steps in all (0: run every epoch to its end).</summary>
    public long MaxSteps { get; init; }

    public void Validate()
    {
        if (Epochs <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Epochs), $"Epochs must be at least 1; got {Epochs}.");
        }
        if (BatchSize <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), $"The batch size must be at least 1; got {BatchSize}.");
        }
        if (Threads < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Threads), $"Threads must be 0 (all cores) or more; got {Threads}.");
        }
        if (ReductionGroups < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(ReductionGroups), $"ReductionGroups must be at least 1; got {ReductionGroups}.");
        }
        if (MaxSteps < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSteps), $"MaxSteps must be 0 (no limit) or more; got {MaxSteps}.");
        }
        Sgd.Validate();
    }
}
