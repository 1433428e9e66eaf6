namespace DistTrain.Contracts.Messages;

/// <summary>
/// A worker was asked for a step but holds no job state: its activation is new (its silo died and
/// Orleans placed it elsewhere, or it was deactivated). The job re-initializes it and asks again.
/// </summary>
[GenerateSerializer, Alias("DistTrain.WorkerStateLostException")]
public sealed class WorkerStateLostException(string message) : InvalidOperationException(message);
