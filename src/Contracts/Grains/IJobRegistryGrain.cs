using DistTrain.Contracts.Messages;

namespace DistTrain.Contracts.Grains;

/// <summary>The list of submitted jobs: a singleton, always key 0 (<see cref="Key"/>).</summary>
[Alias("DistTrain.IJobRegistryGrain")]
public interface IJobRegistryGrain : IGrainWithIntegerKey
{
    public const long Key = 0;

    [Alias("Register")]
    Task RegisterAsync(JobSummary job);

    [Alias("List")]
    [ClientCallable] // `jobs`; registering is for job grains
    Task<IReadOnlyList<JobSummary>> ListAsync();
}
