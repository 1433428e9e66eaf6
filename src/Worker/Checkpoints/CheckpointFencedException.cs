namespace DistTrain.Worker.Checkpoints;

/// <summary>A stale activation of a job tried to write its checkpoint after a newer activation
/// claimed a later generation (<see cref="CheckpointStore.ClaimGeneration"/>).</summary>
public sealed class CheckpointFencedException(string message) : InvalidOperationException(message);
