namespace DistTrain.Contracts.Messages;

/// <summary>
/// A parameter-server slice refused a request from a job activation older than the one that set it
/// up (a lower generation): that activation has been superseded and must stop.
/// </summary>
[GenerateSerializer, Alias("DistTrain.StaleActivationException")]
public sealed class StaleActivationException(string message) : InvalidOperationException(message);
