using DistTrain.Contracts.Messages;

namespace DistTrain.Contracts.Grains;

/// <summary>
/// Holds a job's flat parameter vector and optimizer state (key: the job id). Called by the job only.
/// </summary>
[Alias("DistTrain.IParameterServerGrain")]
public interface IParameterServerGrain : IGrainWithStringKey
{
    /// <summary>Initializes the weights from the spec's seed (idempotent: a second call keeps them).</summary>
    [Alias("Initialize")]
    Task<WeightsSnapshot> InitializeAsync(JobSpec spec);

    [Alias("GetWeights")]
    Task<WeightsSnapshot> GetWeightsAsync();

    /// <summary>
    /// Averages the shards' gradients weighted by sample count, in shard order, applies one optimizer
    /// step and publishes the next version. A step already applied is not applied again.
    /// </summary>
    [Alias("Apply")]
    Task<WeightsSnapshot> ApplyAsync(StepGradients gradients);

    /// <summary>A copy of the current parameters and optimizer state, for the job's checkpoint.</summary>
    [Alias("GetCheckpoint")]
    Task<ParameterCheckpoint> GetCheckpointAsync();

    /// <summary>Carries on from a checkpoint (a job resumed on another silo after losing its own).</summary>
    [Alias("Restore")]
    Task<WeightsSnapshot> RestoreAsync(JobSpec spec, ParameterCheckpoint checkpoint);
}
