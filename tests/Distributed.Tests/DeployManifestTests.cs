using DistTrain.Contracts;
using DistTrain.Dashboard;
using DistTrain.Distributed.Tests.Infrastructure;
using DistTrain.Silo;
using YamlDotNet.RepresentationModel;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// What can be checked of deploy/Dockerfile and deploy/k8s without a container engine or a
/// Kubernetes cluster: the manifests parse, and every setting and port they name is one the silo has.
/// </summary>
public sealed class DeployManifestTests
{
    private static readonly string Deploy = Path.Combine(TestPaths.RepoRoot, "deploy");

    private static readonly HashSet<string> SiloVariables = SiloSettings.Switches.Values.Select(v => "DISTTRAIN_" + v.ToUpperInvariant()).ToHashSet();

    /// <summary>What Orleans' Kubernetes hosting reads: the pod's name, namespace and IP, and the cluster's identity.</summary>
    private static readonly string[] HostingVariables =
    [
        .. SiloSettings.PodVariables,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ServiceIdEnvironmentVariable,
        Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ClusterIdEnvironmentVariable,
    ];

    [Fact]
    public void KubernetesManifests_Parse_AndNameOnlyRealSettingsAndPorts()
    {
        var documents = Directory.GetFiles(Path.Combine(Deploy, "k8s"), "*.yaml").SelectMany(Load).ToArray();
        var kinds = documents.Select(d => Scalar(d, "kind")).ToArray();
        Assert.Contains("StatefulSet", kinds);
        Assert.Contains("Service", kinds);
        Assert.Contains("PersistentVolumeClaim", kinds);

        var silo = documents.Single(d => Scalar(d, "kind") == "StatefulSet");
        var container = (YamlMappingNode)Child<YamlSequenceNode>(Child<YamlMappingNode>(Child<YamlMappingNode>(Child<YamlMappingNode>(silo, "spec"), "template"), "spec"), "containers")[0];
        var env = Child<YamlSequenceNode>(container, "env").Cast<YamlMappingNode>().Select(e => Scalar(e, "name")).ToArray();
        Assert.NotEmpty(env);
        Assert.All(env, name => Assert.Contains(name, SiloVariables.Concat(HostingVariables)));
        Assert.Contains("DISTTRAIN_ADVERTISE", env);
        Assert.Contains("DISTTRAIN_REDIS", env);
        Assert.Contains("DISTTRAIN_KUBERNETES", env);
        Assert.All(HostingVariables, name => Assert.Contains(name, env));
    }

    /// <summary>Kubernetes hosting: the pods carry the cluster's identity as the labels Orleans looks
    /// for, pass it and their own name, namespace and IP through the downward API, and run under a
    /// service account whose role may watch pods.</summary>
    [Fact]
    public void KubernetesHosting_GetsTheClusterIdentityThePodAndTheRightToWatchPods()
    {
        var documents = Directory.GetFiles(Path.Combine(Deploy, "k8s"), "*.yaml").SelectMany(Load).ToArray();
        var silo = documents.Single(d => Scalar(d, "kind") == "StatefulSet");
        var template = Child<YamlMappingNode>(Child<YamlMappingNode>(silo, "spec"), "template");
        var labels = Child<YamlMappingNode>(Child<YamlMappingNode>(template, "metadata"), "labels");
        Assert.Equal(ClusterIdentity.ServiceId, Scalar(labels, Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ServiceIdLabel));
        Assert.Equal(ClusterIdentity.ClusterId, Scalar(labels, Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ClusterIdLabel));

        var spec = Child<YamlMappingNode>(template, "spec");
        var account = Scalar(spec, "serviceAccountName");
        var container = (YamlMappingNode)Child<YamlSequenceNode>(spec, "containers")[0];
        var fields = Child<YamlSequenceNode>(container, "env").Cast<YamlMappingNode>()
            .Where(e => e.Children.ContainsKey(new YamlScalarNode("valueFrom")))
            .ToDictionary(e => Scalar(e, "name"), e => Scalar(Child<YamlMappingNode>(Child<YamlMappingNode>(e, "valueFrom"), "fieldRef"), "fieldPath"));
        Assert.Equal("metadata.name", fields["POD_NAME"]);
        Assert.Equal("metadata.namespace", fields["POD_NAMESPACE"]);
        Assert.Equal("status.podIP", fields["POD_IP"]);
        Assert.Equal($"metadata.labels['{Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ServiceIdLabel}']", fields["ORLEANS_SERVICE_ID"]);
        Assert.Equal($"metadata.labels['{Orleans.Hosting.Kubernetes.KubernetesHostingOptions.ClusterIdLabel}']", fields["ORLEANS_CLUSTER_ID"]);

        Assert.Contains(documents, d => Scalar(d, "kind") == "ServiceAccount" && Scalar(Child<YamlMappingNode>(d, "metadata"), "name") == account);
        var role = documents.Single(d => Scalar(d, "kind") == "Role");
        var rule = (YamlMappingNode)Child<YamlSequenceNode>(role, "rules")[0];
        Assert.Contains("pods", Child<YamlSequenceNode>(rule, "resources").Cast<YamlScalarNode>().Select(v => v.Value));
        var verbs = Child<YamlSequenceNode>(rule, "verbs").Cast<YamlScalarNode>().Select(v => v.Value).ToArray();
        Assert.All(new[] { "get", "list", "watch" }, verb => Assert.Contains(verb, verbs));
        var binding = documents.Single(d => Scalar(d, "kind") == "RoleBinding");
        Assert.Equal(Scalar(Child<YamlMappingNode>(role, "metadata"), "name"), Scalar(Child<YamlMappingNode>(binding, "roleRef"), "name"));
        Assert.Equal(account, Scalar((YamlMappingNode)Child<YamlSequenceNode>(binding, "subjects")[0], "name"));
    }

    [Fact]
    public void ManifestPorts_AreTheSilosDefaults()
    {
        var documents = Directory.GetFiles(Path.Combine(Deploy, "k8s"), "*.yaml").SelectMany(Load).ToArray();
        var silo = documents.Single(d => Scalar(d, "kind") == "StatefulSet");
        var container = (YamlMappingNode)Child<YamlSequenceNode>(Child<YamlMappingNode>(Child<YamlMappingNode>(Child<YamlMappingNode>(silo, "spec"), "template"), "spec"), "containers")[0];

        var ports = Child<YamlSequenceNode>(container, "ports").Cast<YamlMappingNode>().ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort")));
        Assert.Equal(ClusterIdentity.DefaultSiloPort, ports["silo"]);
        Assert.Equal(ClusterIdentity.DefaultGatewayPort, ports["gateway"]);
        Assert.Equal(DashboardOptions.DefaultPort, ports["dashboard"]);
        var dataPlane = Child<YamlSequenceNode>(container, "env").Cast<YamlMappingNode>().Single(e => Scalar(e, "name") == "DISTTRAIN_DATAPLANEPORT");
        Assert.Equal(ports["data-plane"], int.Parse(Scalar(dataPlane, "value")));
    }

    [Fact]
    public void Dockerfile_RunsTheSilo_WithItsPortsAndRealSettings()
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile")).Where(l => !l.TrimStart().StartsWith('#')).ToArray();
        Assert.Contains(lines, l => l.StartsWith("ENTRYPOINT") && l.Contains("DistTrain.Silo.dll"));
        Assert.Contains(lines, l => l.Contains("dotnet publish src/Silo/Silo.csproj"));
        Assert.True(File.Exists(Path.Combine(TestPaths.RepoRoot, "src", "Silo", "Silo.csproj")));
        var exposed = lines.Single(l => l.StartsWith("EXPOSE")).Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(int.Parse).ToArray();
        Assert.Contains(ClusterIdentity.DefaultSiloPort, exposed);
        Assert.Contains(ClusterIdentity.DefaultGatewayPort, exposed);
        Assert.Contains(DashboardOptions.DefaultPort, exposed);
        var variables = lines.Where(l => l.StartsWith("ENV")).SelectMany(l => l[3..].Split(' ', StringSplitOptions.RemoveEmptyEntries)).Select(v => v.Split('=')[0]).ToArray();
        Assert.All(variables, v => Assert.Contains(v, SiloVariables));
        Assert.True(Directory.Exists(Path.Combine(TestPaths.RepoRoot, "data", "mnist")), "the image copies data/mnist");
    }

    /// <summary>
    /// The image's contents, rehearsed without an engine: the Dockerfile's publish (of what this
    /// test run built), its data copy, its environment and its entrypoint, in a folder standing for
    /// /app; the silo must start from there and train a job a console submits. Ports are moved off
    /// the defaults and the dashboard onto loopback, as a test must.
    /// </summary>
    [Fact]
    public async Task TheImagesContent_RunsASilo_ThatTrainsAConsolesJob()
    {
        var lines = File.ReadAllLines(Path.Combine(Deploy, "Dockerfile")).Where(l => !l.TrimStart().StartsWith('#')).ToArray();
        var app = Path.Combine(Path.GetTempPath(), $"disttrain-image-{Guid.NewGuid():N}");
        try
        {
            var publish = lines.Single(l => l.StartsWith("RUN dotnet publish", StringComparison.Ordinal))["RUN ".Length..].Split(' ');
            Assert.Equal("/app", publish[^1]);
            var published = await ProcessRunner.RunAsync(publish[0], [.. publish[1..^1], app, "--no-build"], TimeSpan.FromMinutes(3));
            Assert.True(published.ExitCode == 0, published.ToString());
            var copy = lines.Single(l => l.StartsWith("COPY data/", StringComparison.Ordinal)).Split(' ');
            CopyFolder(Path.Combine(TestPaths.RepoRoot, copy[1]), copy[2].Replace("/app", app, StringComparison.Ordinal));

            var environment = lines.Where(l => l.StartsWith("ENV", StringComparison.Ordinal))
                .SelectMany(l => l[3..].Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Select(v => v.Split('=', 2)).ToDictionary(v => v[0], v => v[1].Replace("/app", app, StringComparison.Ordinal));
            Assert.Equal(Path.Combine(app, "data"), environment["DISTTRAIN_DATAROOT"]);
            const int SiloPort = 21791, GatewayPort = 31791, DashboardPort = 18791;
            environment["DISTTRAIN_SILOPORT"] = $"{SiloPort}";
            environment["DISTTRAIN_GATEWAYPORT"] = $"{GatewayPort}";
            environment["DISTTRAIN_DATAPLANEPORT"] = "0";
            environment["DISTTRAIN_DASHBOARDPORT"] = $"{DashboardPort}";
            environment["DISTTRAIN_DASHBOARDADDRESS"] = "127.0.0.1";

            var entrypoint = System.Text.Json.JsonSerializer.Deserialize<string[]>(lines.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal))["ENTRYPOINT".Length..])!;
            using var silo = new System.Diagnostics.Process
            {
                StartInfo = new System.Diagnostics.ProcessStartInfo(entrypoint[0]) { WorkingDirectory = app, RedirectStandardOutput = true, RedirectStandardError = true },
            };
            foreach (var argument in entrypoint[1..])
            {
                silo.StartInfo.ArgumentList.Add(argument);
            }
            foreach (var (name, value) in environment)
            {
                silo.StartInfo.Environment[name] = value;
            }
            var log = new System.Text.StringBuilder();
            silo.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            silo.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
            silo.Start();
            silo.BeginOutputReadLine();
            silo.BeginErrorReadLine();
            try
            {
                // Up when its gateway accepts connections (a minute at most, as local-cluster.sh waits).
                for (var waited = 0; !await AcceptsAsync(GatewayPort); waited++)
                {
                    Assert.False(silo.HasExited, $"the silo exited: {log}");
                    Assert.True(waited < 120, $"gateway {GatewayPort} not open after a minute: {log}");
                    await Task.Delay(500);
                }
                var train = await ProcessRunner.RunAsync("dotnet",
                    [ProcessRunner.ClientDll(), "train", "--gateway", $"localhost:{GatewayPort}", "--connect-timeout", "20", "--model", "784-16-10",
                     "--epochs", "1", "--train-limit", "2000", "--json"], TimeSpan.FromMinutes(2));
                Assert.True(train.ExitCode == 0, train.ToString());
                using var json = System.Text.Json.JsonDocument.Parse(train.Output);
                Assert.Equal("cluster", json.RootElement.GetProperty("mode").GetString()); // trained in the image's silo, on its copy of MNIST

                using var http = new HttpClient();
                Assert.Contains("disttrain_steps_total", await http.GetStringAsync($"http://127.0.0.1:{DashboardPort}/metrics"));
            }
            finally
            {
                silo.Kill(entireProcessTree: true);
                await silo.WaitForExitAsync();
            }
        }
        finally
        {
            if (Directory.Exists(app))
            {
                Directory.Delete(app, recursive: true);
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }

    private static IEnumerable<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(path);
        stream.Load(reader);
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode);
    }

    private static T Child<T>(YamlMappingNode node, string key) where T : YamlNode => (T)node.Children[new YamlScalarNode(key)];

    private static string Scalar(YamlMappingNode node, string key) => ((YamlScalarNode)node.Children[new YamlScalarNode(key)]).Value!;
}
