namespace DistTrain.Contracts;

/// <summary>The names silos and clients must agree on to form and join one cluster.</summary>
public static class ClusterIdentity
{
    public const string ClusterId = "disttrain";
    public const string ServiceId = "disttrain";
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;
}
