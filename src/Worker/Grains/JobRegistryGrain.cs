using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;
using DistTrain.Worker.Checkpoints;
using Microsoft.Extensions.Logging;

namespace DistTrain.Worker.Grains;

/// <summary>
/// The ids of submitted jobs, oldest first. In memory, and, when the silos keep checkpoints, also in
/// a job list beside them, which a new activation reads back after the registry's silo died.
/// </summary>
public sealed class JobRegistryGrain(CheckpointStore checkpoints, ILogger<JobRegistryGrain> logger) : Grain, IJobRegistryGrain
{
    private readonly List<JobSummary> _jobs = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken) =>
        _jobs.AddRange(await checkpoints.LoadJobsAsync(cancellationToken));

    public async Task RegisterAsync(JobSummary job)
    {
        if (!_jobs.Exists(j => j.JobId == job.JobId))
        {
            _jobs.Add(job);
            try
            {
                await checkpoints.AppendJobAsync(job);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                logger.LogWarning(e, "Job {JobId} is listed in memory only: the job list could not be written", job.JobId);
            }
        }
    }

    public Task<IReadOnlyList<JobSummary>> ListAsync() => Task.FromResult<IReadOnlyList<JobSummary>>(_jobs.ToArray());
}
