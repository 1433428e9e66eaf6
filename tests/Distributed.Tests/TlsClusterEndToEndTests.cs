using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// Two silo processes with mutual TLS (`deploy/local-cluster.sh start 2 --tls-certificate`), a
/// self-signed cluster certificate made by the test: a console with the certificate trains a job
/// over both silos (so silo-to-silo traffic runs over TLS too, the data plane's TCP connections
/// included); one without it, or with another certificate, is refused (exit code 3), and the
/// cluster keeps running.
/// </summary>
public sealed class TlsClusterEndToEndTests
{
    private const int BaseSiloPort = 21771;
    private const int BaseGatewayPort = 31771;
    private const string Password = "test-only";

    [Fact]
    public async Task ATlsCluster_ServesConsolesWithItsCertificate_AndRefusesOthers()
    {
        var runDir = Path.Combine(Path.GetTempPath(), $"disttrain-tls-{Environment.ProcessId}");
        Directory.CreateDirectory(runDir);
        var certificate = TestCertificates.WritePkcs12(Path.Combine(runDir, "cluster.pfx"), "disttrain-cluster", Password);
        var stranger = TestCertificates.WritePkcs12(Path.Combine(runDir, "stranger.pfx"), "disttrain-cluster", Password);
        var environment = new Dictionary<string, string>
        {
            ["RUN_DIR"] = runDir,
            ["BASE_SILO_PORT"] = $"{BaseSiloPort}",
            ["BASE_GATEWAY_PORT"] = $"{BaseGatewayPort}",
            ["BASE_DASHBOARD_PORT"] = "18771",
            ["DISTTRAIN_TLS_PASSWORD"] = Password, // the console's spelling, which silos read too
            // The two silos share this host, where weights and gradients would go through shared
            // memory: over TCP they take the data plane's TLS connections instead, as between hosts.
            ["DISTTRAIN_DATAPLANE"] = "tcp",
        };
        var script = Path.Combine(TestPaths.RepoRoot, "deploy", "local-cluster.sh");
        var gateways = $"localhost:{BaseGatewayPort},localhost:{BaseGatewayPort + 1}";
        try
        {
            var start = await ProcessRunner.RunAsync("bash", [script, "start", "2", "--tls-certificate", certificate], TimeSpan.FromMinutes(3), environment);
            Assert.True(start.ExitCode == 0, start.ToString());

            var train = await Console("train", "--gateway", gateways, "--tls-certificate", certificate, "--tls-password", Password,
                "--model", "784-16-10", "--workers", "2", "--epochs", "1", "--batch", "128", "--train-limit", "6000", "--json", "--connect-timeout", "30");
            Assert.True(train.ExitCode == 0, train.ToString());
            using (var json = System.Text.Json.JsonDocument.Parse(train.Output))
            {
                Assert.Equal("cluster", json.RootElement.GetProperty("mode").GetString());
                Assert.Equal(2, json.RootElement.GetProperty("silos").GetInt32()); // silo-to-silo over TLS too
                var received = json.RootElement.GetProperty("dataPlane").EnumerateArray().Sum(s => s.GetProperty("tcpBytesReceivedPerStep").GetDouble());
                Assert.True(received > 0, $"no data-plane bytes over TCP: {train.Output}");
            }

            var plain = await Console("jobs", "--gateway", gateways, "--connect-timeout", "2");
            Assert.True(plain.ExitCode == 3, plain.ToString());
            var other = await Console("jobs", "--gateway", gateways, "--tls-certificate", stranger, "--tls-password", Password, "--connect-timeout", "2");
            Assert.True(other.ExitCode == 3, other.ToString());

            var again = await Console("jobs", "--gateway", gateways, "--tls-certificate", certificate, "--tls-password", Password);
            Assert.True(again.ExitCode == 0, again.ToString()); // the strangers left the cluster running
            Assert.Contains("Completed", again.Output);
        }
        finally
        {
            await ProcessRunner.RunAsync("bash", [script, "stop"], TimeSpan.FromMinutes(1), environment);
            Directory.Delete(runDir, recursive: true);
        }
    }

    private static Task<ProcessRunner.Result> Console(params string[] arguments) =>
        ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), .. arguments], TimeSpan.FromMinutes(3),
            new Dictionary<string, string> { ["DISTTRAIN_GATEWAY"] = "", ["COLUMNS"] = "200" });
}
