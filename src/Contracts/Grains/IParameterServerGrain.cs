using DistTrain.Contracts.Messages;

namespace DistTrain.Contracts.Grains;

/// <summary>
/// One slice of a job's parameter vector and its optimizer state (key: "{jobId}/{slice}"). Slices
/// sit on different silos: each averages the groups' gradients over its part of the vector,
/// applies SGD there and publishes its part of the next weights. Called by the job only.
/// </summary>
[Alias("DistTrain.IParameterServerGrain")]
public interface IParameterServerGrain : IGrainWithStringKey
{
    /// <summary>Initializes the slice's weights from the spec's seed (idempotent: a second call keeps them).</summary>
    [Alias("Initialize")]
    Task<SliceWeights> InitializeAsync(SliceSetup setup);

    /// <summary>What the slice publishes now; a slice that lost its state says so
    /// (<see cref="ParameterSliceLostException"/>).</summary>
    [Alias("GetPublished")]
    Task<SliceWeights> GetPublishedAsync();

    /// <summary>A copy of the slice's current weights.</summary>
    [Alias("GetWeights")]
    Task<WeightsSnapshot> GetWeightsAsync();

    /// <summary>
    /// Averages the groups' gradients over this slice (weighted by sample count, in a fixed order),
    /// applies one optimizer step and publishes the next version. A step already applied is not applied again.
    /// </summary>
    [Alias("Apply")]
    Task<SliceWeights> ApplyAsync(SliceStep step);

    /// <summary>The slice's side of a run of steps over the data plane (see <see cref="SliceRun"/>);
    /// answers with the last version, its update and fetch times summed over the steps.</summary>
    [Alias("Run")]
    [ResponseTimeout("00:02:00")]
    Task<SliceWeights> RunAsync(SliceRun run);

    /// <summary>A copy of the slice's parameters and optimizer state, for the job's checkpoint.</summary>
    [Alias("GetCheckpoint")]
    Task<ParameterCheckpoint> GetCheckpointAsync();

    /// <summary>Carries on from the job's whole-vector checkpoint, taking this slice's part of it.</summary>
    [Alias("Restore")]
    Task<SliceWeights> RestoreAsync(SliceSetup setup, ParameterCheckpoint checkpoint);
}
