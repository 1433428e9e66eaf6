namespace DistTrain.Contracts.Messages;

/// <summary>Everything a worker needs to load its data and build its replica.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.WorkerSetup")]
public sealed record WorkerSetup
{
    [Id(0)] public string JobId { get; init; } = "";

    [Id(1)] public int Shard { get; init; }

    [Id(2)] public int ShardCount { get; init; }

    [Id(3)] public JobSpec Spec { get; init; } = new();

    /// <summary>The global step the job (re)starts from: a resumed job sets its workers up afresh.</summary>
    [Id(4)] public long StartStep { get; init; }
}

/// <summary>A worker's answer to its setup: where it runs and what it loaded.</summary>
[GenerateSerializer, Immutable, Alias("DistTrain.WorkerInfo")]
public sealed record WorkerInfo
{
    [Id(0)] public int Shard { get; init; }

    /// <summary>The silo hosting the worker, as Orleans prints its address.</summary>
    [Id(1)] public string Silo { get; init; } = "";

    [Id(2)] public int TrainCount { get; init; }

    [Id(3)] public int TestCount { get; init; }
}
