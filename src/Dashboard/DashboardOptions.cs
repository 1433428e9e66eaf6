using System.Net;

namespace DistTrain.Dashboard;

/// <summary>Where the dashboard listens: loopback by default (it has no login), port 8080.</summary>
public sealed record DashboardOptions(IPAddress Address, int Port)
{
    public const int DefaultPort = 8080;

    public static DashboardOptions Loopback(int port) => new(IPAddress.Loopback, port);

    public string Url => $"http://{(Address.Equals(IPAddress.Any) ? "127.0.0.1" : Address.ToString())}:{Port}/";
}
