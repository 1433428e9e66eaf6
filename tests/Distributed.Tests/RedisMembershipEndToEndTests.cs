using DistTrain.Contracts;
using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// The several-machines setup on one machine: a real Redis server as the membership store, two silo
/// processes started by deploy/local-cluster.sh with <c>--redis</c> (no primary silo: each finds the
/// other through Redis), and a job from the console spread over both. Needs redis-server on PATH
/// (.ci/run installs it).
/// </summary>
public sealed class RedisMembershipEndToEndTests
{
    private const int RedisPort = 26391;
    private const int BaseSiloPort = 21751;
    private const int BaseGatewayPort = 31751;

    [Fact]
    public async Task SilosJoinedThroughRedis_RunAJobFromTheConsole()
    {
        var runDir = Path.Combine(Path.GetTempPath(), $"disttrain-redis-e2e-{Environment.ProcessId}");
        Directory.CreateDirectory(runDir);
        var environment = new Dictionary<string, string>
        {
            ["RUN_DIR"] = runDir,
            ["BASE_SILO_PORT"] = $"{BaseSiloPort}",
            ["BASE_GATEWAY_PORT"] = $"{BaseGatewayPort}",
            ["BASE_DASHBOARD_PORT"] = "18751",
        };
        var script = Path.Combine(TestPaths.RepoRoot, "deploy", "local-cluster.sh");
        ProcessRunner.Result? stop = null;
        try
        {
            await StartRedisAsync(runDir);
            var start = await ProcessRunner.RunAsync("bash", [script, "start", "2", "--redis", $"127.0.0.1:{RedisPort}"], TimeSpan.FromMinutes(3), environment);
            Assert.True(start.ExitCode == 0, start.ToString());

            // Both silos wrote themselves into the membership table that Orleans keeps in Redis
            // (the second a moment after its ports open: it joins, then becomes active).
            string[] silos = [];
            for (var attempt = 0; attempt < 60 && silos.Length < 2; attempt++)
            {
                await Task.Delay(attempt == 0 ? 0 : 500);
                var members = await ProcessRunner.RunAsync("redis-cli",
                    ["-p", $"{RedisPort}", "hkeys", $"{ClusterIdentity.ServiceId}/members/{ClusterIdentity.ClusterId}"], TimeSpan.FromSeconds(30));
                Assert.True(members.ExitCode == 0, members.ToString());
                silos = members.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(k => k.StartsWith('S')).ToArray();
            }
            Assert.Equal([$":{BaseSiloPort}:", $":{BaseSiloPort + 1}:"], silos.Select(s => s[s.IndexOf(':')..(s.LastIndexOf(':') + 1)]).Order());

            // Each silo's silo and gateway ports listen on the advertised address (127.0.0.1 here),
            // not on every interface: read from the kernel's socket table.
            foreach (var port in new[] { BaseSiloPort, BaseSiloPort + 1, BaseGatewayPort, BaseGatewayPort + 1 })
            {
                var listeners = ListeningAddresses(port);
                Assert.NotEmpty(listeners);
                Assert.All(listeners, a => Assert.True(a is "0100007F" or "0000000000000000FFFF00000100007F", $"port {port} listens on {a}"));
            }

            // The console knows one gateway only; the job's workers still land on both silos.
            var train = await ProcessRunner.RunAsync("dotnet",
                [ProcessRunner.ClientDll(), "train", "--gateway", $"localhost:{BaseGatewayPort + 1}", "--model", "784-16-10", "--workers", "2",
                 "--epochs", "1", "--batch", "128", "--json"],
                TimeSpan.FromMinutes(3));
            Assert.True(train.ExitCode == 0, train.ToString());
            using var json = System.Text.Json.JsonDocument.Parse(train.Output);
            var root = json.RootElement;
            Assert.Equal("cluster", root.GetProperty("mode").GetString());
            Assert.Equal(2, root.GetProperty("silos").GetInt32());
            Assert.True(root.GetProperty("testAccuracy").GetDouble() > 0.85, train.Output);
        }
        finally
        {
            // Clean up without asserting, so that a failure above is the one reported.
            stop = await ProcessRunner.RunAsync("bash", [script, "stop"], TimeSpan.FromMinutes(1), environment);
            await ShutdownRedisAsync();
        }

        Assert.True(stop.ExitCode == 0, stop.ToString());
        Directory.Delete(runDir, recursive: true);
    }

    /// <summary>The local addresses (hex, as /proc/net/tcp and tcp6 write them) of the sockets
    /// listening on <paramref name="port"/>.</summary>
    private static List<string> ListeningAddresses(int port)
    {
        var found = new List<string>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var local = fields[1].Split(':');
                if (fields[3] == "0A" && Convert.ToInt32(local[1], 16) == port) // 0A: LISTEN
                {
                    found.Add(local[0]);
                }
            }
        }
        return found;
    }

    /// <summary>A throwaway Redis server on a test port: no persistence, data in the run folder.</summary>
    private static async Task StartRedisAsync(string runDir)
    {
        await EnsureRedisInstalledAsync();
        await ShutdownRedisAsync(); // one left over from an interrupted run would hold stale members
        var started = await ProcessRunner.RunAsync("redis-server",
            ["--port", $"{RedisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes",
             "--dir", runDir, "--logfile", Path.Combine(runDir, "redis.log"), "--pidfile", Path.Combine(runDir, "redis.pid")],
            TimeSpan.FromSeconds(30));
        for (var attempt = 0; attempt < 50; attempt++)
        {
            var ping = await ProcessRunner.RunAsync("redis-cli", ["-p", $"{RedisPort}", "ping"], TimeSpan.FromSeconds(10));
            if (ping.Output.Trim() == "PONG")
            {
                return;
            }
            await Task.Delay(100);
        }
        throw new InvalidOperationException($"redis-server did not answer on port {RedisPort}: {started}");
    }

    /// <summary>Best effort: nothing to do when no server runs, or when Redis is not installed.</summary>
    private static async Task ShutdownRedisAsync()
    {
        try
        {
            await ProcessRunner.RunAsync("redis-cli", ["-p", $"{RedisPort}", "shutdown", "nosave"], TimeSpan.FromSeconds(30));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // redis-cli is missing: EnsureRedisInstalledAsync has reported that already.
        }
    }

    /// <summary>
    /// So that `dotnet test` alone works on a fresh machine (as the README promises): as root with
    /// apt-get, a missing redis-server is installed, as .ci/run does; otherwise the test fails saying
    /// what to install.
    /// </summary>
    private static async Task EnsureRedisInstalledAsync()
    {
        var which = await ProcessRunner.RunAsync("bash", ["-c", "command -v redis-server && command -v redis-cli"], TimeSpan.FromSeconds(10));
        if (which.ExitCode == 0)
        {
            return;
        }
        var install = await ProcessRunner.RunAsync("bash",
            ["-c", "[ \"$(id -u)\" -eq 0 ] && command -v apt-get && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server"],
            TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0,
            $"redis-server is not on PATH and could not be installed here: install it (apt-get install -y redis-server).\n{install}");
    }
}
