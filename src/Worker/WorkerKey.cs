namespace DistTrain.Worker;

/// <summary>Worker grain keys: "{jobId}/{shard}". Job ids may themselves contain '/'; the shard is after the last one.</summary>
public static class WorkerKey
{
    public static string Format(string jobId, int shard) => $"{jobId}/{shard}";

    public static bool TryParse(string key, out string jobId, out int shard)
    {
        var slash = key.LastIndexOf('/');
        if (slash > 0 && int.TryParse(key.AsSpan(slash + 1), System.Globalization.NumberStyles.None, null, out shard))
        {
            jobId = key[..slash];
            return true;
        }

        jobId = key;
        shard = 0;
        return false;
    }
}
