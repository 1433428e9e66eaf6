using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DistTrain.Contracts.Messages;
using DistTrain.Core.Data;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace DistTrain.Worker.Checkpoints;

/// <summary>
/// One file per job in the checkpoint folder, in Orleans' own binary format (the parameters go as
/// raw float bytes through FloatBlock's codec). Written to a temporary file of its own, flushed to
/// disk and renamed, so a crash mid-write leaves the previous checkpoint intact.
/// </summary>
public sealed partial class CheckpointStore(IOptions<CheckpointOptions> options, Serializer<JobCheckpoint> serializer, ILogger<CheckpointStore> logger)
{
    public bool Enabled => !string.IsNullOrWhiteSpace(options.Value.Directory);

    /// <summary>
    /// Claims the next generation (fencing token) of a job's checkpoints for one activation of its
    /// job grain: a marker file created exclusively, so two activations racing (on silos that each
    /// think the other dead) get different generations, and the newer one wins every later write.
    /// </summary>
    public long ClaimGeneration(string jobId)
    {
        if (!Enabled)
        {
            return 0;
        }
        Directory.CreateDirectory(Path.GetFullPath(options.Value.Directory!));
        using var _ = LockJob(jobId); // no write's last check and rename may straddle a claim
        // Bounded: a real I/O failure (a full disk) must end in its exception, not in a loop.
        for (long generation = HighestGeneration(jobId) + 1, attempt = 0; ; generation++, attempt++)
        {
            try
            {
                using (new FileStream(GenerationPath(jobId, generation), FileMode.CreateNew, FileAccess.Write))
                {
                }
                // Markers are never deleted: a slow claimer could otherwise take a deleted number
                // again, and two activations would share it (an empty file per activation is cheap).
                return generation;
            }
            catch (IOException) when (attempt < 1000)
            {
                // Another activation claimed it first (its marker may even be cleaned up already by
                // a third, newer one): take the next.
            }
        }
    }

    /// <summary>Writes the checkpoint of the activation holding <paramref name="generation"/>.</summary>
    /// <exception cref="CheckpointFencedException">A newer activation of the job has claimed a later
    /// generation: this one is stale and must not overwrite what the newer one writes.</exception>
    public async Task SaveAsync(string jobId, JobCheckpoint checkpoint, long generation, CancellationToken cancellationToken = default)
    {
        if (!Enabled)
        {
            throw new InvalidOperationException("This silo keeps no checkpoints (no --checkpoints folder).");
        }
        if (HighestGeneration(jobId) is var newest && newest > generation)
        {
            throw new CheckpointFencedException($"Job {jobId}: this activation holds checkpoint generation {generation}, but generation {newest} has been claimed by a newer one");
        }
        var path = PathOf(jobId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp"; // never shared, even by silos in one process
        try
        {
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true))
            {
                await file.WriteAsync(serializer.SerializeToArray(checkpoint), cancellationToken);
                file.Flush(flushToDisk: true);
            }
            // Checked again just before the rename, under the job's lock, which claims take too: a
            // newer activation that claimed its generation while this one wrote (and flushed) is
            // never overwritten, and one that claims after this rename writes after it.
            using (LockJob(jobId))
            {
                if (HighestGeneration(jobId) is var newer && newer > generation)
                {
                    throw new CheckpointFencedException($"Job {jobId}: this activation holds checkpoint generation {generation}, but generation {newer} was claimed while it wrote");
                }
                File.Move(temporary, path, overwrite: true);
            }
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The job's checkpoint, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">It has one that cannot be read (corrupt, truncated, of
    /// another format): the job must fail with that reason, not start afresh over it.</exception>
    public async Task<JobCheckpoint?> LoadAsync(string jobId, CancellationToken cancellationToken = default)
    {
        if (!Enabled)
        {
            return null;
        }
        var path = PathOf(jobId);
        if (!File.Exists(path))
        {
            return null;
        }
        try
        {
            byte[] bytes;
            await using (var file = DataFiles.OpenRead(path)) // a regular file, read to its real length only
            {
                bytes = new byte[file.Length];
                await file.ReadExactlyAsync(bytes, cancellationToken);
            }
            var checkpoint = serializer.Deserialize(bytes) ?? throw new InvalidDataException("it is empty");
            if (checkpoint.Format != JobCheckpoint.CurrentFormat)
            {
                throw new InvalidDataException($"it has format {checkpoint.Format}; this build reads {JobCheckpoint.CurrentFormat}");
            }
            return checkpoint;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Checkpoint {Path} of job {JobId} is unreadable; the job cannot resume from it", path, jobId);
            throw new InvalidDataException($"Job {jobId}'s checkpoint {path} cannot be read ({e.Message.Split('\n')[0].Trim()}); " +
                "the job is not restarted over it: move the file aside to start the job again.", e);
        }
    }

    /// <summary>
    /// Job ids are the user's: a plain one starts its file's name (for people looking at the folder),
    /// and a hash of the exact id ends it, so that ids differing only in case stay apart on file
    /// systems that ignore case (SMB and cloud file shares, macOS, Windows).
    /// </summary>
    public string PathOf(string jobId)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)))[..16].ToLowerInvariant();
        var name = PlainId().IsMatch(jobId) ? $"{jobId}-{hash}" : hash;
        return Path.Combine(Path.GetFullPath(options.Value.Directory!), name + ".checkpoint");
    }

    /// <summary>Adds a job to the cluster's job list, kept beside the checkpoints (one JSON object a
    /// line) so that the registry behind `disttrain jobs` outlives the silo it ran on.</summary>
    public async Task AppendJobAsync(JobSummary job, CancellationToken cancellationToken = default)
    {
        if (!Enabled)
        {
            return;
        }
        Directory.CreateDirectory(Path.GetFullPath(options.Value.Directory!));
        await File.AppendAllTextAsync(JobListPath, JsonSerializer.Serialize(new JobLine(job.JobId, job.SubmittedAt)) + "\n", cancellationToken);
    }

    /// <summary>The largest job list read (some 800,000 jobs): a bigger file is not a list this store wrote.</summary>
    public const long MaxJobListBytes = 64L * 1024 * 1024;

    /// <summary>
    /// The job list, oldest first, each job once. Lines that are not a job this store could have
    /// written (not JSON, an id the cluster would refuse) are skipped and logged; a list that is not
    /// a regular file, or larger than <see cref="MaxJobListBytes"/>, is logged and read as empty: the
    /// checkpoints beside it are untouched, only `disttrain jobs` forgets them.
    /// </summary>
    public async Task<IReadOnlyList<JobSummary>> LoadJobsAsync(CancellationToken cancellationToken = default)
    {
        if (!Enabled || !File.Exists(JobListPath))
        {
            return [];
        }
        var jobs = new List<JobSummary>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            await using var file = DataFiles.OpenRead(JobListPath);
            if (file.Length > MaxJobListBytes)
            {
                logger.LogError("The job list {Path} holds {Bytes:N0} bytes, more than the {Max:N0} it may; it is not read", JobListPath, file.Length, MaxJobListBytes);
                return [];
            }
            using var reader = new StreamReader(file);
            var skipped = 0;
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }
                if (ParseJobLine(line) is { } job)
                {
                    if (seen.Add(job.JobId))
                    {
                        jobs.Add(job);
                    }
                }
                else if (skipped++ < 10)
                {
                    logger.LogWarning("Skipping a line of the job list {Path} that is not a job: {Line}", JobListPath, line.Length > 80 ? line[..80] + "…" : line);
                }
            }
        }
        catch (Exception e) when (e is DatasetException or IOException or UnauthorizedAccessException)
        {
            logger.LogError("The job list {Path} cannot be read ({Reason}); it is read as empty", JobListPath, e.Message);
        }
        return jobs;
    }

    /// <summary>One line of the job list as a job, or null when it is not one (not JSON, no valid id).</summary>
    private static JobSummary? ParseJobLine(string line)
    {
        try
        {
            return JsonSerializer.Deserialize<JobLine>(line) is { JobId: { } id } entry && JobIds.Check(id) is null
                ? new JobSummary { JobId = id, SubmittedAt = entry.SubmittedAt }
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly TimeSpan LockPatience = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The job's lock (an exclusive flock, which .NET takes for FileShare.None, on a file of
    /// the checkpoint folder's .locks/), held for a claim, or for a write's last fence check and its rename: both
    /// take microseconds, so a waiter polls. Works between the silos of one host and on shared file
    /// systems that honour flock; a lock not had within 30 s is an IOException, as a full disk is.
    /// </summary>
    private FileStream LockJob(string jobId)
    {
        // Kept in a folder of their own, out of the way of people reading the checkpoint folder.
        var locks = Path.Combine(Path.GetFullPath(options.Value.Directory!), ".locks");
        Directory.CreateDirectory(locks);
        var path = Path.Combine(locks, Path.GetFileName(PathOf(jobId)) + ".lock");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (clock.Elapsed < LockPatience)
            {
                Thread.Sleep(1);
            }
        }
    }

    private string GenerationPath(string jobId, long generation) => $"{PathOf(jobId)}.gen-{generation}";

    private long HighestGeneration(string jobId) => Generations(jobId).DefaultIfEmpty(0).Max();

    private IEnumerable<long> Generations(string jobId)
    {
        var prefix = Path.GetFileName(PathOf(jobId)) + ".gen-";
        var folder = Path.GetFullPath(options.Value.Directory!);
        if (!Directory.Exists(folder))
        {
            return [];
        }
        return Directory.EnumerateFiles(folder, prefix + "*")
            .Select(f => long.TryParse(Path.GetFileName(f)[prefix.Length..], out var g) ? g : 0)
            .ToList();
    }

    private string JobListPath => Path.Combine(Path.GetFullPath(options.Value.Directory!), "jobs.jsonl");

    private sealed record JobLine(string JobId, DateTimeOffset SubmittedAt);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex PlainId();
}
