using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace DistTrain.Worker.Checkpoints;

/// <summary>
/// One file per job in the checkpoint folder, in Orleans' own binary format (the parameters go as
/// raw float bytes through FloatBlock's codec). Written to a temporary file and renamed, so a crash
/// mid-write leaves the previous checkpoint intact.
/// </summary>
public sealed partial class CheckpointStore(IOptions<CheckpointOptions> options, Serializer<JobCheckpoint> serializer, ILogger<CheckpointStore> logger)
{
    public bool Enabled => !string.IsNullOrWhiteSpace(options.Value.Directory);

    public async Task SaveAsync(string jobId, JobCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        var path = PathOf(jobId);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Environment.ProcessId}.tmp";
        await File.WriteAllBytesAsync(temporary, serializer.SerializeToArray(checkpoint), cancellationToken);
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>The job's checkpoint, or null when it has none (or an unreadable one, which is logged).</summary>
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
            var checkpoint = serializer.Deserialize(await File.ReadAllBytesAsync(path, cancellationToken))
                ?? throw new InvalidDataException("empty");
            if (checkpoint.Format != JobCheckpoint.CurrentFormat)
            {
                throw new InvalidDataException($"format {checkpoint.Format}, expected {JobCheckpoint.CurrentFormat}");
            }
            return checkpoint;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogError(e, "Checkpoint {Path} of job {JobId} is unreadable; the job cannot resume from it", path, jobId);
            return null;
        }
    }

    /// <summary>Job ids are the user's: a plain one names its file, anything else goes by its hash.</summary>
    private string PathOf(string jobId)
    {
        var name = PlainId().IsMatch(jobId) ? jobId : Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(jobId)))[..32];
        return Path.Combine(Path.GetFullPath(options.Value.Directory!), name + ".checkpoint");
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex PlainId();
}
