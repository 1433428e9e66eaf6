using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// Real silo processes started by deploy/local-cluster.sh, driven by the real console.
/// Ports are far from the defaults so a developer's own local cluster is left alone.
/// </summary>
public sealed class LocalClusterEndToEndTests
{
    private const int BaseSiloPort = 21711;
    private const int BaseGatewayPort = 31711;
    private const int BaseDashboardPort = 18711;

    [Fact]
    public async Task LocalCluster_RunsAJobSubmittedFromTheConsole()
    {
        var runDir = Path.Combine(Path.GetTempPath(), $"disttrain-e2e-{Environment.ProcessId}");
        var environment = new Dictionary<string, string>
        {
            ["RUN_DIR"] = runDir,
            ["BASE_SILO_PORT"] = $"{BaseSiloPort}",
            ["BASE_GATEWAY_PORT"] = $"{BaseGatewayPort}",
            ["BASE_DASHBOARD_PORT"] = $"{BaseDashboardPort}",
        };
        var script = Path.Combine(TestPaths.RepoRoot, "deploy", "local-cluster.sh");
        var gateways = $"localhost:{BaseGatewayPort},localhost:{BaseGatewayPort + 1}";
        try
        {
            var start = await ProcessRunner.RunAsync("bash", [script, "start", "2"], TimeSpan.FromMinutes(3), environment);
            Assert.True(start.ExitCode == 0, start.ToString());

            var submit = await ProcessRunner.RunAsync("dotnet",
                [ProcessRunner.ClientDll(), "submit", "--gateway", gateways, "--id", "e2e-job", "--network", "784-16-10",
                 "--workers", "2", "--batch", "50", "--train-limit", "1000", "--test-limit", "300", "--epochs", "1", "--wait"],
                TimeSpan.FromMinutes(2));
            Assert.True(submit.ExitCode == 0, submit.ToString());
            Assert.Contains("e2e-job", submit.Output);
            Assert.Contains("Final test accuracy", submit.Output);

            // The main command: `train` finds the running cluster and trains over 2 workers on 2 silos.
            var model = Path.Combine(runDir, "e2e.dtm");
            var train = await ProcessRunner.RunAsync("dotnet",
                [ProcessRunner.ClientDll(), "train", "--gateway", gateways, "--model", "784-16-10", "--workers", "2", "--epochs", "2", "--batch", "128", "--json",
                    "--out", model],
                TimeSpan.FromMinutes(3));
            Assert.True(train.ExitCode == 0, train.ToString());
            string jobId;
            using (var json = System.Text.Json.JsonDocument.Parse(train.Output))
            {
                var root = json.RootElement;
                jobId = root.GetProperty("jobId").GetString()!;
                Assert.Equal("cluster", root.GetProperty("mode").GetString());
                Assert.Contains($"{BaseGatewayPort}", root.GetProperty("cluster").GetString());
                Assert.Equal(2, root.GetProperty("silos").GetInt32());
                Assert.Equal(2, root.GetProperty("workers").GetInt32());
                Assert.True(root.GetProperty("testAccuracy").GetDouble() > 0.85, train.Output);
                // Two silo processes on one host: one worker group each, and the weights and
                // gradients crossed between them through shared memory, not TCP or Orleans messages.
                Assert.Equal(2, root.GetProperty("groups").GetInt32());
                var traffic = root.GetProperty("dataPlane").EnumerateArray().ToArray();
                Assert.Equal(2, traffic.Length);
                Assert.All(traffic, t => Assert.True(t.GetProperty("sharedMemoryBytesPerStep").GetDouble() > 10_000, train.Output));
                Assert.All(traffic, t => Assert.Equal(0, t.GetProperty("tcpBytesReceivedPerStep").GetDouble()));
            }
            // Two processes, bit for bit the single-process trainer on 2 cores summing in 2 groups.
            var reference = SingleProcessReference.Train(new DistTrain.Contracts.Messages.JobSpec
            {
                Network = "784-16-10", Epochs = 2, GlobalBatchSize = 128, Workers = 2, Seed = 1, LearningRate = 0.1f,
            }, steps: 2 * 469, threads: 2, groups: 2);
            Assert.Equal(reference, DistTrain.Core.Models.ModelFile.Load(model).Parameters);

            await DashboardShowsTheJobAsync(jobId, runDir);

            var jobs = await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "jobs", "--gateway", gateways], TimeSpan.FromMinutes(1));
            Assert.True(jobs.ExitCode == 0, jobs.ToString());
            Assert.Contains("e2e-job", jobs.Output);

            // A job cancelled on the cluster: watching it ends with exit code 1, as the README's table says.
            var cancelled = await ProcessRunner.RunAsync("dotnet",
                [ProcessRunner.ClientDll(), "submit", "--gateway", gateways, "--id", "e2e-cancelled", "--model", "784-16-10", "--epochs", "50"],
                TimeSpan.FromMinutes(1));
            Assert.True(cancelled.ExitCode == 0, cancelled.ToString());
            var cancel = await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "cancel", "e2e-cancelled", "--gateway", gateways], TimeSpan.FromMinutes(1));
            Assert.True(cancel.ExitCode == 0, cancel.ToString());
            var watchCancelled = await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "watch", "e2e-cancelled", "--gateway", gateways], TimeSpan.FromMinutes(1));
            Assert.True(watchCancelled.ExitCode == 1, watchCancelled.ToString());
            Assert.Contains("Cancelled", watchCancelled.Output);
            var cancelAgain = await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "cancel", "e2e-cancelled", "--gateway", gateways], TimeSpan.FromMinutes(1));
            Assert.Contains("e2e-cancelled: Cancelled", cancelAgain.Output);

            // A dozen consoles have connected and gone (each probing the gateway first): no silo logged
            // a stack trace for them.
            foreach (var log in Directory.GetFiles(runDir, "silo-*.log"))
            {
                var text = await File.ReadAllTextAsync(log);
                Assert.DoesNotContain("Connection terminated prematurely", text);
                Assert.DoesNotContain("Unhandled exception", text);
            }

            var status = await ProcessRunner.RunAsync("bash", [script, "status"], TimeSpan.FromSeconds(30), environment);
            Assert.Equal(2, status.Output.Split('\n').Count(l => l.Contains("running")));

            await LosingThePrimary_FailsAJobOnTheOtherSilo_SayingWhyAsync(runDir);
        }
        finally
        {
            var stop = await ProcessRunner.RunAsync("bash", [script, "stop"], TimeSpan.FromMinutes(1), environment);
            Assert.True(stop.ExitCode == 0, stop.ToString());
        }

        Assert.Empty(Directory.GetFiles(runDir, "*.pid"));
        Directory.Delete(runDir, recursive: true);
    }

    /// <summary>
    /// Last, as it breaks the cluster: silo 0 of a localhost cluster holds the membership table. A job
    /// on silo 1 that loses it cannot recover (no silo can be declared dead), and must fail within
    /// seconds saying so, not wait out Orleans' 2-minute response timeout and roll back again. A job
    /// that was on silo 0 itself no longer answers at all: a console asking for it through silo 1
    /// must be told within seconds that the primary is gone (exit code 3), not wait out its patience.
    /// </summary>
    private static async Task LosingThePrimary_FailsAJobOnTheOtherSilo_SayingWhyAsync(string runDir)
    {
        var second = $"localhost:{BaseGatewayPort + 1}";
        string? onSecond = null, onPrimary = null;
        for (var attempt = 0; attempt < 10 && (onSecond is null || onPrimary is null); attempt++)
        {
            // Wherever Orleans places the job grain (near the gateway that took the submit, mostly):
            // one job on each silo is wanted, others are cancelled.
            var id = $"e2e-primary-{attempt}";
            var through = attempt % 2 == 0 ? second : $"localhost:{BaseGatewayPort}";
            var submit = await ProcessRunner.RunAsync("dotnet",
                [ProcessRunner.ClientDll(), "submit", "--gateway", through, "--id", id, "--model", "784-16-10", "--workers", "2", "--epochs", "60", "--batch", "50"],
                TimeSpan.FromMinutes(1));
            Assert.True(submit.ExitCode == 0, submit.ToString());
            var where = await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "status", id, "--gateway", second], TimeSpan.FromMinutes(1));
            if (onSecond is null && where.Output.Contains($"Silo        S127.0.0.1:{BaseSiloPort + 1}:", StringComparison.Ordinal))
            {
                onSecond = id;
            }
            else if (onPrimary is null && where.Output.Contains($"Silo        S127.0.0.1:{BaseSiloPort}:", StringComparison.Ordinal))
            {
                onPrimary = id;
            }
            else
            {
                await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "cancel", id, "--gateway", second], TimeSpan.FromMinutes(1));
            }
        }
        Assert.NotNull(onSecond);
        Assert.NotNull(onPrimary);

        System.Diagnostics.Process.GetProcessById(int.Parse(File.ReadAllText(Path.Combine(runDir, "silo-0.pid")).Trim())).Kill();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var watching = ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "watch", onSecond, "--gateway", second], TimeSpan.FromMinutes(3));
        var asking = TimedAsync(ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), "status", onPrimary, "--gateway", second], TimeSpan.FromMinutes(3)));
        var watch = await watching;
        var watchTook = clock.Elapsed;
        var (status, statusTook) = await asking;

        Assert.True(watch.ExitCode == 1, watch.ToString()); // a failed job
        Assert.Contains("primary silo", watch.Output);
        Assert.Contains("--redis", watch.Output);
        Assert.True(watchTook < TimeSpan.FromSeconds(60), $"the job took {watchTook} to fail");
        // Its output went to a pipe: a step line every 5 s at most, not one per event (~20 a second).
        var stepLines = watch.Output.Split('\n').Count(l => l.Contains(" step ", StringComparison.Ordinal) && !l.Contains("test-accuracy", StringComparison.Ordinal));
        Assert.True(stepLines <= watchTook.TotalSeconds / 5 + 2, $"{stepLines} step lines in {watchTook}: {watch.Output}");

        Assert.True(status.ExitCode == 3, status.ToString()); // the job is unreachable, and the console says why
        Assert.Contains("primary silo", status.Error);
        Assert.Contains($"job {onPrimary} does not answer", status.Error);
        Assert.True(statusTook < TimeSpan.FromSeconds(60), $"status took {statusTook}, the console's patience rather than the health question"); // patience: 2 min
    }

    private static async Task<(ProcessRunner.Result Result, TimeSpan Took)> TimedAsync(Task<ProcessRunner.Result> run)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var result = await run;
        return (result, clock.Elapsed);
    }

    /// <summary>
    /// Every silo's dashboard, in headless Chromium: the job is listed; its page has one accuracy
    /// point per finished epoch and a row per worker; `/metrics` serves our metrics and Orleans'.
    /// </summary>
    private static async Task DashboardShowsTheJobAsync(string jobId, string runDir)
    {
        await using var browser = await HeadlessBrowser.LaunchAsync();
        await using var page = await browser.NewPageAsync();
        var dashboard = $"http://127.0.0.1:{BaseDashboardPort + 1}/";
        await page.GoToAsync(dashboard);
        await page.WaitForSelectorAsync($"tr.job[data-job='{jobId}']", new PuppeteerSharp.WaitForSelectorOptions { Timeout = 20_000 });
        Assert.Equal(2, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#silos tr.silo').length"));

        await page.GoToAsync($"{dashboard}#/job/{jobId}");
        await page.WaitForSelectorAsync("#accuracy-chart[data-epoch-points='2']", new PuppeteerSharp.WaitForSelectorOptions { Timeout = 20_000 });
        await page.WaitForSelectorAsync("#worker-table tr.worker", new PuppeteerSharp.WaitForSelectorOptions { Timeout = 20_000 });
        var stepPoints = await page.EvaluateExpressionAsync<int>("+document.getElementById('loss-chart').dataset.stepPoints");
        Assert.True(stepPoints >= 10, $"{stepPoints} points on the loss curve"); // the job's kept curve, step by step
        var workers = await page.EvaluateExpressionAsync<string[]>(
            "[...document.querySelectorAll('#worker-table tr.worker')].map(r => r.dataset.shard + ' ' + r.children[1].textContent)");
        Assert.Equal(2, workers.Length);
        Assert.Equal(["0", "1"], workers.Select(w => w.Split(' ')[0]));
        Assert.Equal(2, workers.Select(w => w.Split(' ')[1]).Distinct().Count()); // one worker on each silo
        Assert.Equal(2, await page.EvaluateExpressionAsync<int>("document.querySelectorAll('#epochs tr.epoch').length"));
        await page.ScreenshotAsync(Path.Combine(runDir, "dashboard.png"));
        if (Environment.GetEnvironmentVariable("DISTTRAIN_SCREENSHOT") is { Length: > 0 } keep)
        {
            File.Copy(Path.Combine(runDir, "dashboard.png"), keep, overwrite: true);
        }

        using var http = new HttpClient();
        var metrics = string.Join("\n", await Task.WhenAll(new[] { 0, 1 }.Select(i => http.GetStringAsync($"http://127.0.0.1:{BaseDashboardPort + i}/metrics"))));
        Assert.Matches(@"disttrain_steps_total\{[^}]*\} (9[0-9]{2}|[1-9][0-9]{3,})", metrics); // this job's 938 steps, and the submit's
        Assert.Contains("disttrain_step_phase_duration_milliseconds_count{otel_scope_name=\"DistTrain\",phase=\"transport\"}", metrics);
        Assert.Matches(@"disttrain_dataplane_bytes_total\{[^}]*direction=""shared_read""\} [1-9]", metrics);
        Assert.Contains("orleans_", metrics);
        var orleans = await http.GetAsync($"http://127.0.0.1:{BaseDashboardPort}/orleans/");
        Assert.True(orleans.IsSuccessStatusCode, $"Orleans Dashboard: {orleans.StatusCode}");
    }

    [Fact]
    public async Task Console_AgainstADownCluster_ExitsWithAClearMessage()
    {
        var result = await ProcessRunner.RunAsync("dotnet",
            [ProcessRunner.ClientDll(), "jobs", "--gateway", $"localhost:{BaseGatewayPort + 50}", "--connect-timeout", "2"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(3, result.ExitCode);
        Assert.Contains("no DistTrain cluster reachable", result.Error);
    }

    [Theory]
    [InlineData("train --local --lr -1", "--lr")]
    [InlineData("train --local --batch 0", "--batch")]
    [InlineData("train --local --model 100-10", "784 features")]
    [InlineData("train --local --data /no/such/folder", "/no/such/folder")]
    [InlineData("evaluate --model /no/such/model.dtm", "model.dtm")]
    [InlineData("graph 2*log(x1 --at x1=1", "position")]
    [InlineData("jobs --gateway localhost:abc", "--gateway")]
    [InlineData("train --local --out /tmp", "--out")]
    public async Task Console_RejectsBadInput_WithOneClearLine(string arguments, string named)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), .. arguments.Split(' ')], TimeSpan.FromSeconds(60));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(named, result.Error);
        Assert.StartsWith("error: ", result.Error);
        Assert.DoesNotContain("   at ", result.Error); // no stack trace
    }

    [Fact]
    public async Task Console_TrainLocal_PrintsOneJsonResult()
    {
        var result = await ProcessRunner.RunAsync("dotnet",
            [ProcessRunner.ClientDll(), "train", "--local", "--epochs", "1", "--json"], TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = System.Text.Json.JsonDocument.Parse(result.Output);
        var root = json.RootElement;
        Assert.True(root.GetProperty("testAccuracy").GetDouble() > 0.85, result.Output);
        Assert.Equal(1, root.GetProperty("epochs").GetInt32());
        Assert.True(root.GetProperty("samplesPerSecond").GetDouble() > 0);
        Assert.True(root.GetProperty("trainLoss").GetDouble() > 0);
        Assert.True(root.GetProperty("seconds").GetDouble() > 0);
    }
}
