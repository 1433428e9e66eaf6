namespace DistTrain.Contracts.Messages;

/// <summary>
/// What to train and how: submitted once to a job grain, which validates every field.
/// </summary>
/// <remarks>Text fields (network, activation, loss) are parsed by the silo with the core, so a
/// client never needs the core's enums to submit a job.</remarks>
[GenerateSerializer, Immutable, Alias("DistTrain.JobSpec")]
public sealed record JobSpec
{
    /// <summary>Layer widths, input first: "784-16-16-10".</summary>
    [Id(0)] public string Network { get; init; } = "784-16-16-10";

    [Id(1)] public string Activation { get; init; } = "relu";

    [Id(2)] public string Loss { get; init; } = "cross-entropy";

    [Id(3)] public float LearningRate { get; init; } = 0.1f;

    [Id(4)] public float Momentum { get; init; }

    [Id(5)] public bool Nesterov { get; init; }

    [Id(6)] public float WeightDecay { get; init; }

    /// <summary>"mnist" for the shipped data, or a folder relative to the cluster's data root.</summary>
    [Id(7)] public string Dataset { get; init; } = "mnist";

    [Id(8)] public int Epochs { get; init; } = 1;

    /// <summary>Samples per optimizer step, summed over all workers.</summary>
    [Id(9)] public int GlobalBatchSize { get; init; } = 64;

    [Id(10)] public int Workers { get; init; } = 2;

    [Id(11)] public int Seed { get; init; } = 1;

    /// <summary>Train on the first N training samples only (0: all of them).</summary>
    [Id(12)] public int TrainLimit { get; init; }

    /// <summary>Evaluate on the first N test samples only (0: all of them).</summary>
    [Id(13)] public int TestLimit { get; init; }

    /// <summary>Stop after this many optimizer steps in total (0: run every epoch to its end).</summary>
    [Id(14)] public int MaxSteps { get; init; }

    /// <summary>Local SGD: each worker takes this many plain-SGD steps on its own shards between two
    /// averaging rounds (1: synchronous SGD, every step averaged; the default and exact).</summary>
    [Id(15)] public int SyncEvery { get; init; } = 1;

    /// <summary>What crosses between silos: "fp32" (exact) or "bf16" (rounded to bfloat16, half
    /// the bytes, with error feedback). Within one silo nothing is rounded.</summary>
    [Id(16)] public string Wire { get; init; } = "fp32";
}
