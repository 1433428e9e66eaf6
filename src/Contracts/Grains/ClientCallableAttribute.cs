namespace DistTrain.Contracts.Grains;

/// <summary>
/// Marks the grain interfaces (or single methods) that a client connection, the console, may call.
/// Everything else is for grains inside the cluster, and a silo refuses a client's call to it
/// before the grain runs (DistTrain.Worker.Security.ClientCallFilter).
/// </summary>
[AttributeUsage(AttributeTargets.Interface | AttributeTargets.Method, Inherited = false)]
public sealed class ClientCallableAttribute : Attribute;
