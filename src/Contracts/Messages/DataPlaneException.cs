namespace DistTrain.Contracts.Messages;

/// <summary>
/// A block could not be read from another silo's data plane: the peer is gone, the connection
/// broke or timed out, or the block is not what the reference promised. The job treats it like the
/// loss of the silo that owns the block and recovers the same way.
/// </summary>
[GenerateSerializer, Alias("DistTrain.DataPlaneException")]
public sealed class DataPlaneException(string message) : IOException(message);
