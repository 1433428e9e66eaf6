using System.Net;
using System.Security.Cryptography.X509Certificates;
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
    int DataPlanePort, DataPlaneTransport DataPlane, string? TlsCertificate = null, string? TlsPassword = null,
    int DashboardPort = DistTrain.Dashboard.DashboardOptions.DefaultPort, IPAddress? DashboardAddress = null, bool Kubernetes = false)
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
        ["--dashboard-port"] = "DashboardPort",
        ["--dashboard-address"] = "DashboardAddress",
        ["--kubernetes"] = "Kubernetes",
    };

    /// <summary>What Kubernetes sets in every pod: where its API is.</summary>
    public static readonly string[] InPodVariables = ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"];

    /// <summary>The credentials a pod's silo talks to the API with.</summary>
    public const string ServiceAccountToken = "/var/run/secrets/kubernetes.io/serviceaccount/token";

    /// <summary>What Kubernetes hosting reads from the pod (its downward API, deploy/k8s/silos.yaml).</summary>
    public static readonly string[] PodVariables =
    [
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNameEnvironmentVariable,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodNamespaceEnvironmentVariable,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.PodIPEnvironmentVariable,
    ];

    /// <summary>Reads and checks every setting; a bad one throws a <see cref="FormatException"/>
    /// naming its switch. <paramref name="environment"/> reads the process's variables (the pod's, for --kubernetes).</summary>
    public static SiloSettings From(IConfiguration config, Func<string, string?>? environment = null)
    {
        var kubernetes = Flag(config, "Kubernetes", "--kubernetes");
        if (kubernetes)
        {
            if (string.IsNullOrWhiteSpace(config["Redis"]))
            {
                throw new FormatException("--kubernetes: needs --redis (Kubernetes hosting names each silo after its pod and drops deleted pods from membership; the membership itself is kept in Redis)");
            }
            environment ??= Environment.GetEnvironmentVariable;
            if (InPodVariables.FirstOrDefault(v => string.IsNullOrWhiteSpace(environment(v))) is { } outside)
            {
                throw new FormatException($"--kubernetes: {outside} is not set: this is not a Kubernetes pod (Kubernetes hosting talks to the cluster's API from inside one)");
            }
            if (PodVariables.FirstOrDefault(v => string.IsNullOrWhiteSpace(environment(v))) is { } missing)
            {
                throw new FormatException($"--kubernetes: {missing} is not set (a pod sets {string.Join(", ", PodVariables)} through the downward API, as deploy/k8s/silos.yaml does)");
            }
            if (!File.Exists(ServiceAccountToken))
            {
                throw new FormatException($"--kubernetes: the pod has no service account token ({ServiceAccountToken}; the pod needs automountServiceAccountToken and the Role of deploy/k8s/silos.yaml)");
            }
        }
        var primary = config["Primary"];
        var advertise = config["Advertise"];
        var dashboardAddress = config["DashboardAddress"];
        var dashboardPort = config["DashboardPort"];
        return new SiloSettings(
            Port(config, "SiloPort", "--silo-port", ClusterIdentity.DefaultSiloPort),
            Port(config, "GatewayPort", "--gateway-port", ClusterIdentity.DefaultGatewayPort),
            string.IsNullOrWhiteSpace(primary) ? null
                : IPEndPoint.TryParse(primary, out var endpoint) ? endpoint : throw new FormatException($"--primary: '{primary}' is not an IP address and port such as 127.0.0.1:11111"),
            config["DataRoot"],
            config["Redis"],
            string.IsNullOrWhiteSpace(advertise) ? null
                : IPAddress.TryParse(advertise, out var address) ? address : throw new FormatException($"--advertise: '{advertise}' is not an IP address"),
            config["Checkpoints"],
            Port(config, "DataPlanePort", "--data-plane-port", 0, allowZero: true),
            ParseTransport(config["DataPlane"]),
            // The console's spellings (DISTTRAIN_TLS_CERTIFICATE, DISTTRAIN_TLS_PASSWORD) work here too:
            // one pair of variables serves a machine that runs both.
            NonEmpty(config["TlsCertificate"]) ?? NonEmpty(Environment.GetEnvironmentVariable("DISTTRAIN_TLS_CERTIFICATE")),
            config["TlsPassword"] ?? Environment.GetEnvironmentVariable("DISTTRAIN_TLS_PASSWORD"),
            string.IsNullOrWhiteSpace(dashboardPort) ? DistTrain.Dashboard.DashboardOptions.DefaultPort
                : int.TryParse(dashboardPort, out var port) && port is >= 0 and <= 65535 ? port
                : throw new FormatException($"--dashboard-port: '{dashboardPort}' is not a port (1 to 65535, or 0 for no dashboard)"),
            string.IsNullOrWhiteSpace(dashboardAddress) ? IPAddress.Loopback
                : IPAddress.TryParse(dashboardAddress, out var listen) ? listen : throw new FormatException($"--dashboard-address: '{dashboardAddress}' is not an IP address"),
            kubernetes);
    }

    private static bool Flag(IConfiguration config, string key, string option)
    {
        var text = config[key];
        return string.IsNullOrWhiteSpace(text) ? false
            : bool.TryParse(text, out var value) ? value
            : throw new FormatException($"{option}: '{text}' is not true or false");
    }

    private static int Port(IConfiguration config, string key, string option, int fallback, bool allowZero = false)
    {
        var text = config[key];
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }
        return int.TryParse(text, out var port) && port is >= 0 and <= 65535 && (allowZero || port > 0)
            ? port
            : throw new FormatException($"{option}: '{text}' is not a port (1 to 65535{(allowZero ? ", or 0 for any free one" : "")})");
    }

    /// <summary>Where the dashboard listens, or null when <c>--dashboard-port 0</c> turns it off.</summary>
    public DistTrain.Dashboard.DashboardOptions? Dashboard =>
        DashboardPort == 0 ? null : new(DashboardAddress ?? IPAddress.Loopback, DashboardPort);

    /// <summary>The cluster certificate <c>--tls-certificate</c> names, or null; loaded at start so a
    /// bad file stops the silo with one line naming it.</summary>
    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    public X509Certificate2? LoadTls() => TlsCertificate is null ? null : ClusterTls.Load(TlsCertificate, TlsPassword);

    /// <summary>With a certificate: mutual TLS on the silo and gateway ports (<see cref="ClusterTls"/>);
    /// consoles need the same certificate.</summary>
    public static void ConfigureTls(ISiloBuilder silo, X509Certificate2? certificate)
    {
        if (certificate is not null)
        {
            silo.UseTls(certificate, options => ClusterTls.Configure(options, certificate));
        }
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
    /// <param name="certificate">The cluster certificate: the data plane's TCP connections run mutual TLS with it too.</param>
    public void ConfigureDataPlane(DataPlaneOptions options, X509Certificate2? certificate)
    {
        options.Certificate = certificate;
        options.Port = DataPlanePort;
        options.Transport = DataPlane;
        options.ListenAddress = ListenAddress;
    }

    /// <summary>Where the silo's ports listen: loopback for a one-machine cluster, else the advertised address.</summary>
    public IPAddress ListenAddress => string.IsNullOrWhiteSpace(Redis) ? IPAddress.Loopback : AdvertisedAddress;

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
        if (Kubernetes)
        {
            // Silo names from the pods, and a watch on the pods that drops a deleted one's silo from
            // membership at once rather than after missed probes. The cluster's identity below still
            // wins: the pods carry it as their orleans/serviceId and orleans/clusterId labels.
            silo.UseKubernetesHosting();
        }
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
