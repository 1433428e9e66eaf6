using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

/// <summary>Each worker's compute time per step, for <c>status</c>: the mean, a recent mean and the slowest.</summary>
internal sealed class WorkerTimes
{
    // Weight of the newest step in the recent mean: about the last 20 steps count.
    private const double RecentWeight = 0.1;
    private readonly Dictionary<int, Entry> _shards = [];

    /// <summary>Times reported for a call that covered <paramref name="steps"/> steps (their sum over the steps).</summary>
    public void Add(IEnumerable<ShardTime> times, int steps)
    {
        foreach (var time in times)
        {
            if (!_shards.TryGetValue(time.Shard, out var entry))
            {
                _shards[time.Shard] = entry = new Entry();
            }
            var perStep = time.Seconds / Math.Max(1, steps);
            entry.Steps += steps;
            entry.Seconds += time.Seconds;
            entry.Recent = entry.Steps == steps ? perStep : entry.Recent + RecentWeight * (perStep - entry.Recent);
            entry.Max = Math.Max(entry.Max, perStep);
        }
    }

    public IReadOnlyList<WorkerTiming> Snapshot(IReadOnlyList<WorkerInfo> workers) => _shards.OrderBy(s => s.Key).Select(s => new WorkerTiming
    {
        Shard = s.Key,
        Silo = workers.FirstOrDefault(w => w.Shard == s.Key)?.Silo ?? "",
        Steps = s.Value.Steps,
        MeanMs = 1000 * s.Value.Seconds / Math.Max(1, s.Value.Steps),
        RecentMs = 1000 * s.Value.Recent,
        MaxMs = 1000 * s.Value.Max,
    }).ToArray();

    private sealed class Entry
    {
        public long Steps;
        public double Seconds, Recent, Max;
    }
}
