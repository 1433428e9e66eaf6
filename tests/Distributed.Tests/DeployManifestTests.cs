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
        Assert.All(env, name => Assert.Contains(name, SiloVariables));
        Assert.Contains("DISTTRAIN_ADVERTISE", env);
        Assert.Contains("DISTTRAIN_REDIS", env);

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
