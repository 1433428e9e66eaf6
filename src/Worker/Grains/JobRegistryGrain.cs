using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Grains;

/// <summary>The ids of submitted jobs, oldest first. In memory: it lasts as long as its silo.</summary>
public sealed class JobRegistryGrain : Grain, IJobRegistryGrain
{
    private readonly List<JobSummary> _jobs = [];

    public Task RegisterAsync(JobSummary job)
    {
        if (!_jobs.Exists(j => j.JobId == job.JobId))
        {
            _jobs.Add(job);
        }

        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<JobSummary>> ListAsync() => Task.FromResult<IReadOnlyList<JobSummary>>(_jobs.ToArray());
}
