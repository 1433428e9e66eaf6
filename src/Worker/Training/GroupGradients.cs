using DistTrain.Contracts.Messages;

namespace DistTrain.Worker.Training;

internal static class GroupGradients
{
    /// <summary>A group's answer for one step from its workers' answers (the gradients themselves are added by the caller).</summary>
    public static GroupGradient FromShards(int group, long step, IReadOnlyList<ShardGradient> shards) => new()
    {
        Group = group,
        GlobalStep = step,
        SampleCount = shards.Sum(s => s.SampleCount),
        Losses = shards.Select(s => new ShardLoss(s.Shard, s.SampleCount, s.Loss)).ToArray(),
        MeanComputeSeconds = shards.Average(s => s.ComputeSeconds),
        MaxComputeSeconds = shards.Max(s => s.ComputeSeconds),
        Workers = shards.Count,
        ShardTimes = shards.Select(s => new ShardTime(s.Shard, s.ComputeSeconds)).ToArray(),
    };
}
