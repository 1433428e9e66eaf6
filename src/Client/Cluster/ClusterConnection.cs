using System.Net;
using System.Net.Sockets;
using DistTrain.Contracts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace DistTrain.Client.Cluster;

/// <summary>A client connected to a running DistTrain cluster through its gateways.</summary>
public sealed class ClusterConnection : IAsyncDisposable
{
    private readonly IHost _host;

    private ClusterConnection(IHost host, IReadOnlyList<IPEndPoint> gateways)
    {
        _host = host;
        Gateways = gateways;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    public IReadOnlyList<IPEndPoint> Gateways { get; }

    /// <summary>Connects through gateways given as "host:port" (repeated or comma lists; none: localhost:30000).</summary>
    public static Task<ClusterConnection?> TryConnectAsync(IEnumerable<string>? gateways, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryConnectAsync(GatewayList.Parse(gateways), timeout, cancellationToken);

    /// <summary>
    /// Connects, or returns null when no gateway answers within <paramref name="timeout"/>.
    /// </summary>
    /// <remarks>A plain TCP probe comes first: when nothing listens (the usual "no cluster" case) the
    /// answer is immediate instead of waiting out the Orleans client's own connection attempts.</remarks>
    public static async Task<ClusterConnection?> TryConnectAsync(IReadOnlyList<IPEndPoint> gateways, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var reachable = await ProbeAsync(gateways, deadline.Token);
        if (reachable.Count == 0)
        {
            return null;
        }

        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error);
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering([.. reachable]);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterIdentity.ClusterId;
                o.ServiceId = ClusterIdentity.ServiceId;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(deadline.Token);
            return new ClusterConnection(host, reachable);
        }
        catch (Exception e) when (e is OperationCanceledException or SiloUnavailableException or TimeoutException or OrleansException)
        {
            host.Dispose();
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(5));
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static async Task<List<IPEndPoint>> ProbeAsync(IReadOnlyList<IPEndPoint> gateways, CancellationToken cancellationToken)
    {
        var probes = gateways.Select(async gateway =>
        {
            try
            {
                using var socket = new TcpClient(gateway.AddressFamily);
                await socket.ConnectAsync(gateway, cancellationToken);
                return gateway;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                return null;
            }
        });
        return [.. (await Task.WhenAll(probes)).OfType<IPEndPoint>()];
    }
}
