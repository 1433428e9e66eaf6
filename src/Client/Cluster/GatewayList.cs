using System.Net;
using System.Net.Sockets;
using DistTrain.Contracts;

namespace DistTrain.Client.Cluster;

/// <summary>Gateways given as "host:port", repeated or comma-separated; without any, those in the
/// environment variable DISTTRAIN_GATEWAY (set by deploy/netns-cluster.sh exec), else "localhost:30000".</summary>
public static class GatewayList
{
    public const string EnvironmentVariable = "DISTTRAIN_GATEWAY";

    public static IReadOnlyList<IPEndPoint> Default { get; } = [new(IPAddress.Loopback, ClusterIdentity.DefaultGatewayPort)];

    public static IReadOnlyList<IPEndPoint> Parse(IEnumerable<string>? values)
    {
        var endpoints = new List<IPEndPoint>();
        foreach (var item in (values ?? []).SelectMany(v => v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            endpoints.Add(ParseOne(item));
        }

        if (endpoints.Count == 0 && Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            try
            {
                return Parse([fromEnvironment]);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{EnvironmentVariable}: {e.Message}", e);
            }
        }
        return endpoints.Count > 0 ? endpoints : Default;
    }

    public static string Describe(IEnumerable<IPEndPoint> gateways) => string.Join(", ", gateways);

    private static IPEndPoint ParseOne(string text)
    {
        var colon = text.LastIndexOf(':');
        var host = colon > 0 ? text[..colon] : text;
        var port = ClusterIdentity.DefaultGatewayPort;
        if (colon > 0 && (!int.TryParse(text.AsSpan(colon + 1), out port) || port is <= 0 or > 65535))
        {
            throw new FormatException($"--gateway: \"{text}\" is not host:port (a port from 1 to 65535)");
        }

        if (!IPAddress.TryParse(host.Trim('[', ']'), out var address))
        {
            try
            {
                address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
                    ? IPAddress.Loopback
                    : Dns.GetHostAddresses(host).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                      ?? throw new FormatException($"--gateway: host \"{host}\" has no IPv4 address");
            }
            catch (SocketException e)
            {
                throw new FormatException($"--gateway: host \"{host}\" is unknown ({e.Message})", e);
            }
        }

        return new IPEndPoint(address, port);
    }
}
