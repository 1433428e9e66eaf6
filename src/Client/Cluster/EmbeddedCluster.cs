using System.Net;
using System.Net.Sockets;
using DistTrain.Contracts;
using DistTrain.Dashboard;
using Microsoft.AspNetCore.Builder;
using DistTrain.Worker.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace DistTrain.Client.Cluster;

/// <summary>
/// A one-silo cluster inside this process, for <c>train</c> when no cluster is reachable. Its client
/// is the silo's own: the same grain calls as against a real cluster, without a network hop.
/// </summary>
public sealed class EmbeddedCluster : IAsyncDisposable
{
    private readonly IHost _host;

    private EmbeddedCluster(IHost host, int siloPort, int gatewayPort)
    {
        _host = host;
        SiloPort = siloPort;
        GatewayPort = gatewayPort;
        Client = host.Services.GetRequiredService<IClusterClient>();
    }

    public IClusterClient Client { get; }

    public int SiloPort { get; }

    public int GatewayPort { get; }

    /// <summary>Starts a silo on free localhost ports (so it never collides with a local cluster),
    /// serving the dashboard too when <paramref name="dashboard"/> says where.</summary>
    public static async Task<EmbeddedCluster> StartAsync(string? dataRoot = null, CancellationToken cancellationToken = default, DashboardOptions? dashboard = null)
    {
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        IHost host;
        if (dashboard is null)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            Configure(builder, _ => { });
            host = builder.Build();
        }
        else
        {
            var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
            // No log providers, as in the plain host (DisableDefaults): the console reports errors itself.
            builder.Logging.ClearProviders();
            Configure(builder, silo => builder.AddDashboard(silo, dashboard));
            var app = builder.Build();
            app.MapDashboard();
            host = app;
        }
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (IOException e) when (dashboard is not null)
        {
            host.Dispose();
            throw new ArgumentException($"--dashboard-port: cannot listen on {dashboard.Url} ({e.Message})");
        }
        return new EmbeddedCluster(host, siloPort, gatewayPort);

        void Configure(IHostApplicationBuilder builder, Action<ISiloBuilder> more)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Warning).AddFilter("Orleans", LogLevel.Error);
            builder.Services.AddSingleton<IHostLifetime, CommandOwnedLifetime>(); // Ctrl-C is the console's, not the host's
            builder.UseOrleans(silo =>
            {
                // A cluster id of its own: it must never join, or be joined by, a real local cluster.
                silo.UseLocalhostClustering(siloPort, gatewayPort, null, ClusterIdentity.ServiceId, $"embedded-{Environment.ProcessId}");
                silo.AddDistTrain(dataRoot);
                more(silo);
            });
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(10));
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
