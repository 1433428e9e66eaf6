using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using Orleans.Concurrency;

namespace DistTrain.Contracts.Grains;

/// <summary>
/// The workers of one job on one silo (key: "{jobId}/{group}"). Each step it fetches the weights
/// once for the whole silo, has its workers compute their slices, and combines their gradients into
/// one block: what crosses the network grows with silos, not workers. Called by the job only.
/// </summary>
[Alias("DistTrain.IWorkerGroupGrain")]
public interface IWorkerGroupGrain : IGrainWithStringKey
{
    /// <summary>Sets up (or, with the same setup, keeps) the group's workers and its gradient block.</summary>
    [Alias("Initialize")]
    [ResponseTimeout("00:05:00")] // the first worker on a silo loads and decodes the dataset
    Task<GroupInfo> InitializeAsync(GroupSetup setup);

    /// <summary>`--wire bf16`: what the group's rounding has dropped so far (empty for fp32), kept
    /// with the epoch's state; and setting it back, after <see cref="InitializeAsync"/>, when the
    /// job starts from that state (empty: nothing carried over).</summary>
    [Alias("GetFeedback")]
    Task<FloatBlock> GetFeedbackAsync();

    [Alias("SetFeedback")]
    Task SetFeedbackAsync(FloatBlock feedback);

    /// <summary>Runs steps with the slices over the data plane (see <see cref="GroupRun"/>).</summary>
    [Alias("Run")]
    [ResponseTimeout("00:02:00")]
    Task<GroupRunResult> RunAsync(GroupRun run);

    /// <summary>One step; a repeated request for the same step returns the same answer.</summary>
    [Alias("Step")]
    [ResponseTimeout("00:01:00")]
    Task<GroupGradient> StepAsync(GroupStep step);

    /// <summary>Test-set accuracy of the weights in <paramref name="step"/> over the group's workers' slices.</summary>
    [Alias("Evaluate")]
    [ResponseTimeout("00:05:00")]
    Task<Evaluation> EvaluateAsync(GroupStep step);

    /// <summary>The job has ended: the group and its workers deactivate. One-way.</summary>
    [Alias("Release")]
    [OneWay]
    Task ReleaseAsync();
}
