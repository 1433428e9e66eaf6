using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using DistTrain.Contracts;
using DistTrain.Worker.Security;
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
    /// Connects, or returns null when no gateway answers.
    /// </summary>
    /// <remarks>
    /// A plain TCP probe comes first, within <paramref name="timeout"/>: when nothing listens (the
    /// usual "no cluster" case) the answer is immediate. A gateway that accepts the probe is a
    /// cluster, perhaps a busy one, so the Orleans handshake is then retried with backoff for up to
    /// <see cref="Patience"/> times the timeout before it is declared down.
    /// </remarks>
    /// <param name="tls">The cluster's certificate when its silos run TLS (<see cref="ClusterTls"/>).</param>
    public static async Task<ClusterConnection?> TryConnectAsync(IReadOnlyList<IPEndPoint> gateways, TimeSpan timeout, CancellationToken cancellationToken = default,
        X509Certificate2? tls = null)
    {
        List<IPEndPoint> reachable;
        using (var probeDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            probeDeadline.CancelAfter(timeout);
            reachable = await ProbeAsync(gateways, probeDeadline.Token);
        }
        cancellationToken.ThrowIfCancellationRequested();
        if (reachable.Count == 0)
        {
            return null;
        }

        var giveUpAt = DateTime.UtcNow + timeout * Patience;
        var attempt = timeout;
        while (true)
        {
            using var attemptDeadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attemptDeadline.CancelAfter(attempt);
            var host = BuildClient(reachable, tls);
            try
            {
                await host.StartAsync(attemptDeadline.Token);
                return new ClusterConnection(host, reachable);
            }
            catch (Exception e) when (e is OperationCanceledException or SiloUnavailableException or TimeoutException or OrleansException or SocketException)
            {
                host.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                var left = giveUpAt - DateTime.UtcNow;
                if (left <= TimeSpan.Zero)
                {
                    return null;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(500, left.TotalMilliseconds)), cancellationToken);
                attempt = TimeSpan.FromTicks(Math.Min(attempt.Ticks * 2, Math.Max(left.Ticks, TimeSpan.FromSeconds(1).Ticks)));
            }
        }
    }

    /// <summary>How many connect timeouts a gateway that accepts TCP connections is given to finish
    /// the Orleans handshake: on a machine busy with ten consoles it can take several.</summary>
    public const int Patience = 6;

    private static IHost BuildClient(IReadOnlyList<IPEndPoint> gateways, X509Certificate2? tls)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error);
        builder.Services.AddSingleton<IHostLifetime, CommandOwnedLifetime>(); // Ctrl-C is the console's, not the host's
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering([.. gateways]);
            if (tls is not null)
            {
                client.UseTls(tls, options => ClusterTls.Configure(options, tls));
            }
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = ClusterIdentity.ClusterId;
                o.ServiceId = ClusterIdentity.ServiceId;
            });
        });
        return builder.Build();
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
