namespace DistTrain.Contracts.Messages;

/// <summary>
/// A parameter-server slice was asked to apply a step but holds no state: its silo died and this is
/// a new activation. The job rolls every slice back to the last epoch's checkpoint and redoes the
/// epoch, which ends with exactly the weights of an uninterrupted run.
/// </summary>
[GenerateSerializer, Alias("DistTrain.ParameterSliceLostException")]
public sealed class ParameterSliceLostException(string message) : InvalidOperationException(message);
