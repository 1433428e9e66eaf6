using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// The multi-host rehearsal: deploy/netns-cluster.sh puts two silos in network namespaces of their
/// own (hosts of their own to the data plane, so blocks go over TCP), with Redis membership and
/// 10 Gbit/s links; the console runs a job inside the rehearsal, and stopping it leaves no namespace
/// behind. Network namespaces need root, as on CI; run without it, the test checks instead that the
/// script refuses in one line and creates nothing.
/// </summary>
public sealed class NetnsClusterEndToEndTests
{
    [Fact]
    public async Task SilosInNetworkNamespaces_RunAJobOverTheTcpDataPlane()
    {
        var prefix = $"dtt{Environment.ProcessId % 100000}";
        var runDir = Path.Combine(Path.GetTempPath(), $"disttrain-netns-e2e-{Environment.ProcessId}");
        var environment = new Dictionary<string, string> { ["RUN_DIR"] = runDir, ["NETNS_PREFIX"] = prefix };
        var script = Path.Combine(TestPaths.RepoRoot, "deploy", "netns-cluster.sh");
        var root = (await ProcessRunner.RunAsync("id", ["-u"], TimeSpan.FromSeconds(10))).Output.Trim() == "0";
        if (!root)
        {
            var refused = await ProcessRunner.RunAsync("bash", [script, "start", "2"], TimeSpan.FromMinutes(1), environment);
            Assert.NotEqual(0, refused.ExitCode);
            Assert.Contains("needs root", refused.Error);
            Assert.DoesNotContain(prefix, (await ProcessRunner.RunAsync("ip", ["netns", "list"], TimeSpan.FromSeconds(10))).Output);
            return;
        }

        try
        {
            var start = await ProcessRunner.RunAsync("bash", [script, "start", "2", "--rate", "10gbit"], TimeSpan.FromMinutes(4), environment);
            Assert.True(start.ExitCode == 0, start.ToString());

            var model = Path.Combine(runDir, "netns.dtm");
            var train = await ProcessRunner.RunAsync("bash",
                [script, "exec", "--", "dotnet", ProcessRunner.ClientDll(), "train", "--model", "784-16-10", "--workers", "2", "--epochs", "1",
                    "--batch", "128", "--json", "--out", model,
                    // Silos that have just opened their gateways may take longer than the default 5 s to
                    // answer a client on a busy 2-core machine; the console would then train embedded.
                    "--connect-timeout", "60"],
                TimeSpan.FromMinutes(4), environment);
            Assert.True(train.ExitCode == 0, train.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(train.Output);
            var result = json.RootElement;
            Assert.Equal("cluster", result.GetProperty("mode").GetString());
            Assert.Contains("198.18.0.10:30000", result.GetProperty("cluster").GetString());
            Assert.Equal(2, result.GetProperty("groups").GetInt32());
            Assert.True(result.GetProperty("testAccuracy").GetDouble() > 0.85, train.Output);
            // Two hosts: every block crossed over TCP, none through shared memory. Each silo gets
            // the other's half of the weights and of the gradient, M floats a step (784-16-10: 12,730).
            var traffic = result.GetProperty("dataPlane").EnumerateArray().ToArray();
            Assert.Equal(2, traffic.Length);
            foreach (var silo in traffic)
            {
                Assert.InRange(silo.GetProperty("tcpBytesReceivedPerStep").GetDouble(), 0.9 * 12_730 * 4, 1.2 * 12_730 * 4);
                Assert.Equal(0, silo.GetProperty("sharedMemoryBytesPerStep").GetDouble());
            }
            // Across the two "hosts", bit for bit the single-process trainer summing in 2 groups.
            var reference = SingleProcessReference.Train(new DistTrain.Contracts.Messages.JobSpec
            {
                Network = "784-16-10", Epochs = 1, GlobalBatchSize = 128, Workers = 2, Seed = 1, LearningRate = 0.1f,
            }, steps: 469, threads: 2, groups: 2);
            Assert.Equal(reference, DistTrain.Core.Models.ModelFile.Load(model).Parameters);
        }
        finally
        {
            var stop = await ProcessRunner.RunAsync("bash", [script, "stop"], TimeSpan.FromMinutes(1), environment);
            Assert.True(stop.ExitCode == 0, stop.ToString());
            Assert.DoesNotContain(prefix, (await ProcessRunner.RunAsync("ip", ["netns", "list"], TimeSpan.FromSeconds(10))).Output);
            try
            {
                Directory.Delete(runDir, recursive: true);
            }
            catch (IOException)
            {
                // A silo's log still open for a moment: the temp folder is the system's to clean.
            }
        }
    }
}
