using System.CommandLine;
using DistTrain.Client.Cluster;
using DistTrain.Contracts.Grains;
using DistTrain.Contracts.Messages;

namespace DistTrain.Client.Commands;

/// <summary>The options every cluster command shares, and the connect-or-explain step.</summary>
internal static class ClusterCommandOptions
{
    /// <summary>Exit code when no cluster answers.</summary>
    public const int Unreachable = 3;

    public static Option<string[]> Gateway { get; } = new("--gateway", "-g")
    {
        Description = "Cluster gateway host:port (repeat it or give a comma list). Default: localhost:30000",
        AllowMultipleArgumentsPerToken = true,
    };

    public static Option<double> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = "Seconds to wait for a gateway",
        DefaultValueFactory = _ => 5,
    };

    // The environment is read when the option is used, not as a parser default: a default would
    // print the password in --help.
    public static Option<string?> TlsCertificate { get; } = new("--tls-certificate")
    {
        Description = "The cluster's TLS certificate (PKCS#12 with its key) when its silos run TLS. Default: DISTTRAIN_TLS_CERTIFICATE",
    };

    public static Option<string?> TlsPassword { get; } = new("--tls-password")
    {
        Description = "Password of --tls-certificate. Default: DISTTRAIN_TLS_PASSWORD",
    };

    public static void AddTo(Command command)
    {
        command.Options.Add(Gateway);
        command.Options.Add(ConnectTimeout);
        command.Options.Add(TlsCertificate);
        command.Options.Add(TlsPassword);
    }

    /// <summary>The certificate --tls-certificate names, or null; a bad file is a user error naming it.</summary>
    public static System.Security.Cryptography.X509Certificates.X509Certificate2? LoadTls(ParseResult parse)
    {
        var path = parse.GetValue(TlsCertificate) ?? NonEmpty(Environment.GetEnvironmentVariable("DISTTRAIN_TLS_CERTIFICATE"));
        var password = parse.GetValue(TlsPassword) ?? Environment.GetEnvironmentVariable("DISTTRAIN_TLS_PASSWORD");
        return path is null ? null : DistTrain.Worker.Security.ClusterTls.Load(path, password);

        static string? NonEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;
    }

    /// <summary>Connects, or prints why not (to stderr) and returns null.</summary>
    public static async Task<ClusterConnection?> ConnectAsync(ParseResult parse, CancellationToken cancellationToken)
    {
        var gateways = GatewayList.Parse(parse.GetValue(Gateway));
        var connection = await TryConnectAsync(parse, gateways, cancellationToken);
        if (connection is null)
        {
            ReportUnreachable(gateways);
        }

        return connection;
    }

    /// <summary>Connects within --connect-timeout (longer when a gateway accepts but is slow to
    /// answer, as on a busy machine), or returns null.</summary>
    public static Task<ClusterConnection?> TryConnectAsync(ParseResult parse, IReadOnlyList<System.Net.IPEndPoint> gateways, CancellationToken cancellationToken)
    {
        var seconds = parse.GetValue(ConnectTimeout);
        DistTrain.Client.Output.UserError.Require(seconds > 0 && double.IsFinite(seconds), "--connect-timeout", $"must be a positive number of seconds; got {seconds}.");
        return ClusterConnection.TryConnectAsync(gateways, TimeSpan.FromSeconds(seconds), cancellationToken, LoadTls(parse));
    }

    /// <summary>Whether the user said where the cluster is (--gateway, or DISTTRAIN_GATEWAY).</summary>
    public static bool GatewayNamed(ParseResult parse) =>
        parse.GetResult(Gateway) is { Implicit: false } || Environment.GetEnvironmentVariable(GatewayList.EnvironmentVariable) is { Length: > 0 };

    public static void ReportUnreachable(IReadOnlyList<System.Net.IPEndPoint> gateways)
    {
        Console.Error.WriteLine($"error: no DistTrain cluster reachable at {GatewayList.Describe(gateways)} " +
            "(start one with deploy/local-cluster.sh start 2, or pass --gateway host:port; a TLS cluster also needs --tls-certificate).");
    }

    /// <summary>The job grain for <paramref name="jobId"/>, or null (after saying so) when the cluster
    /// never ran such a job: a grain call would otherwise create an empty job under that id.</summary>
    public static async Task<IJobGrain?> ExistingJobAsync(IClusterClient client, string jobId, CancellationToken cancellationToken = default)
    {
        var job = client.GetGrain<IJobGrain>(jobId);
        // A job gone with a cluster that cannot recover is said so within seconds, not after the patience.
        var status = await JobRunner.StatusAsync(job, cancellationToken, new ClusterHealth(client));
        if (status.State == JobState.Pending && status.Spec is null)
        {
            Console.Error.WriteLine($"error: no job '{jobId}' on this cluster (see `disttrain jobs`).");
            return null;
        }
        return job;
    }

    /// <summary>The shape of every per-job command: connect (or explain), find the job (or say there
    /// is none), then act on it; user mistakes end as one line and exit code 2.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> OnJob(Argument<string> id, Func<IJobGrain, CancellationToken, Task<int>> action) =>
        OnJob(id, (job, _, cancellationToken) => action(job, cancellationToken));

    /// <summary>As above, for an action that needs the cluster's client too.</summary>
    public static Func<ParseResult, CancellationToken, Task<int>> OnJob(Argument<string> id, Func<IJobGrain, IClusterClient, CancellationToken, Task<int>> action) =>
        (parse, cancellationToken) => DistTrain.Client.Output.UserError.GuardAsync(async () =>
        {
            await using var connection = await ConnectAsync(parse, cancellationToken);
            if (connection is null)
            {
                return Unreachable;
            }

            return await ExistingJobAsync(connection.Client, parse.GetValue(id)!, cancellationToken) is { } job
                ? await action(job, connection.Client, cancellationToken)
                : DistTrain.Client.Output.UserError.ExitCode;
        });
}
