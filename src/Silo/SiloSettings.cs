using System.Net;
using DistTrain.Contracts;
using DistTrain.Worker.DataPlane;
using DistTrain.Worker.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;

namespace DistTrain.Silo;

/// <summary>
/// The silo's settings, from the command line (<c>--silo-port 11112</c>) or the environment
/// (<c>DISTTRAIN_SILOPORT=11112</c>); the command line wins.
/// </summary>
public sealed record SiloSettings(int SiloPort, int GatewayPort, IPEndPoint? PrimarySilo, string? DataRoot, string? Redis, IPAddress? Advertise, string? Checkpoints,
    int DataPlanePort, DataPlaneTransport DataPlane, string? TlsCertificate = null, string? TlsPassword = null)
{
    public static readonly Dictionary<string, string> Switches = new()
    {
        ["--silo-port"] = "SiloPort",
        ["--gateway-port"] = "GatewayPort",
        ["--primary"] = "Primary",
        ["--data-root"] = "DataRoot",
        ["--redis"] = "Redis",
        ["--advertise"] = "Advertise",
        ["--checkpoints"] = "Checkpoints",
        ["--data-plane-port"] = "DataPlanePort",
        ["--data-plane"] = "DataPlane",
        ["--tls-certificate"] = "TlsCertificate",
        ["--tls-password"] = "TlsPassword",
    };

    public static SiloSettings From(IConfiguration config)
    {
        var primary = config["Primary"];
        var advertise = config["Advertise"];
        return new SiloSettings(
            config.GetValue("SiloPort", ClusterIdentity.DefaultSiloPort),
            config.GetValue("GatewayPort", ClusterIdentity.DefaultGatewayPort),
            string.IsNullOrWhiteSpace(primary) ? null : IPEndPoint.Parse(primary),
            config["DataRoot"],
            config["Redis"],
            string.IsNullOrWhiteSpace(advertise) ? null : IPAddress.Parse(advertise),
            config["Checkpoints"],
            config.GetValue("DataPlanePort", 0),
            ParseTransport(config["DataPlane"]),
            string.IsNullOrWhiteSpace(config["TlsCertificate"]) ? null : config["TlsCertificate"],
            config["TlsPassword"]);
    }

    /// <summary>With <c>--tls-certificate</c>: mutual TLS with the cluster certificate on the silo and
    /// gateway ports (<see cref="ClusterTls"/>); consoles need the same certificate.</summary>
    public void ConfigureTls(ISiloBuilder silo)
    {
        if (TlsCertificate is null)
        {
            return;
        }
        var certificate = ClusterTls.Load(TlsCertificate, TlsPassword);
        silo.UseTls(certificate, options => ClusterTls.Configure(options, certificate));
    }

    private static DataPlaneTransport ParseTransport(string? text) => text?.ToLowerInvariant() switch
    {
        null or "" or "auto" => DataPlaneTransport.Auto,
        "tcp" => DataPlaneTransport.Tcp,
        _ => throw new ArgumentException($"--data-plane: '{text}' is not auto or tcp"),
    };

    /// <summary>
    /// The data plane listens where the silo is reached: loopback for a one-machine cluster, the
    /// advertised address with Redis membership. Same host: shared memory; other hosts: that listener.
    /// </summary>
    public void ConfigureDataPlane(DataPlaneOptions options)
    {
        options.Port = DataPlanePort;
        options.Transport = DataPlane;
        options.ListenAddress = string.IsNullOrWhiteSpace(Redis) ? IPAddress.Loopback : AdvertisedAddress;
    }

    private IPAddress AdvertisedAddress =>
        Advertise ?? Dns.GetHostAddresses(Dns.GetHostName()).First(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork);

    /// <summary>
    /// Localhost clustering (one machine; the silo without <c>--primary</c> is the primary) or, with
    /// <c>--redis host:port</c>, Redis membership for silos on several machines.
    /// </summary>
    public void ConfigureClustering(ISiloBuilder silo)
    {
        if (string.IsNullOrWhiteSpace(Redis))
        {
            silo.UseLocalhostClustering(SiloPort, GatewayPort, PrimarySilo, ClusterIdentity.ServiceId, ClusterIdentity.ClusterId);
            return;
        }

        silo.UseRedisClustering(Redis);
        silo.Configure<ClusterOptions>(o =>
        {
            o.ClusterId = ClusterIdentity.ClusterId;
            o.ServiceId = ClusterIdentity.ServiceId;
        });
        // Listen where we advertise, not on every interface: a silo reachable on an address nobody
        // was told about is an open door (silo-to-silo and gateway ports alike).
        silo.ConfigureEndpoints(AdvertisedAddress, SiloPort, GatewayPort, listenOnAnyHostAddress: false);
    }
}
