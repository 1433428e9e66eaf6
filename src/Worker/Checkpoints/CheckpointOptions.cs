namespace DistTrain.Worker.Checkpoints;

/// <summary>Where jobs keep their checkpoints; none (the default) turns checkpoints off.</summary>
public sealed class CheckpointOptions
{
    /// <summary>A folder every silo of the cluster can read and write (one machine's disk for a local
    /// cluster, a shared mount across machines).</summary>
    public string? Directory { get; set; }
}
