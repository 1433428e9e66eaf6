using DistTrain.Distributed.Tests.Infrastructure;

namespace DistTrain.Distributed.Tests;

/// <summary>
/// The README's table of exit codes, through the real console: 2 and one line naming the option,
/// file or value for every user mistake; 3 when the cluster asked for does not answer (never an
/// embedded silo in its place); 130 when stopped by a signal, with the job cancelled.
/// </summary>
public sealed class ConsoleExitCodeTests
{
    /// <summary>A port nothing listens on (the cluster tests use 31711+ and 31751+).</summary>
    private const string DownGateway = "localhost:30390";

    [Theory]
    [InlineData("train --epochs x", "--epochs: 'x' is not a whole number")]
    [InlineData("train --lr abc", "--lr: 'abc' is not a number")]
    [InlineData("trian", "'trian'")]
    [InlineData("train --bogus", "'--bogus'")]
    [InlineData("train --local --workers 4", "--workers")]
    [InlineData("train --local --sync-every 4", "--sync-every")]
    [InlineData("train --local --threads 999", "--threads")]
    [InlineData("train --threads 1 --gateway " + DownGateway, "--threads")]
    [InlineData("train --local --test-csv test.csv", "--test-csv")]
    [InlineData("train --local --csv a.csv --data b", "--data")]
    [InlineData("train --local --model 784-100000-100000-10", "--model")] // 10¹⁰ parameters: more than an int
    [InlineData("bench --model 784-100000-100000-10", "--model")]
    [InlineData("train --local --out /dev/null", "/dev/null")]
    [InlineData("evaluate --model /dev/zero", "/dev/zero")]
    [InlineData("submit --id a/b --gateway " + DownGateway, "--id")]
    [InlineData("submit --connect-timeout 0", "--connect-timeout")]
    [InlineData("graph x*x --at x=1 --dot /dev/null", "--dot")]
    [InlineData("train --local --plot curves.jpg", "--plot")]
    [InlineData("train --plot curves.bmp --gateway " + DownGateway, "--plot")] // checked before connecting
    [InlineData("train --local --log-dir /etc/hostname", "--log-dir")]
    [InlineData("train --detach --plot c.png --gateway " + DownGateway, "--plot")]
    [InlineData("evaluate --model m.dtm --plot m.gif", "--plot")]
    [InlineData("export --model /dev/zero --onnx m.onnx", "/dev/zero")]
    [InlineData("train --local --dashboard", "--dashboard")]
    [InlineData("train --dashboard-port 8090 --gateway " + DownGateway, "--dashboard-port")]
    [InlineData("train --dashboard --dashboard-port 0 --gateway " + DownGateway, "--dashboard-port")]
    public async Task UserMistakes_EndInOneLine_WithExitCode2(string arguments, string named)
    {
        var result = await RunAsync(arguments);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains(named, result.Error);
        Assert.Single(result.Error.Trim().Split('\n')); // one line, no help page, no stack trace
    }

    [Theory]
    [InlineData("--data-plane bogus", "--data-plane: 'bogus' is not auto or tcp")]
    [InlineData("--silo-port abc", "--silo-port: 'abc' is not a port")]
    [InlineData("--primary nothere", "--primary: 'nothere' is not an IP address and port")]
    [InlineData("--tls-certificate /no/such.pfx", "TLS certificate '/no/such.pfx' does not exist")]
    [InlineData("--dashboard-port 70000", "--dashboard-port: '70000' is not a port")]
    [InlineData("--dashboard-address nowhere", "--dashboard-address: 'nowhere' is not an IP address")]
    [InlineData("--kubernetes maybe", "--kubernetes: 'maybe' is not true or false")]
    [InlineData("--kubernetes true", "--kubernetes: needs --redis")]
    [InlineData("--kubernetes true --redis 127.0.0.1:6390", "--kubernetes: KUBERNETES_SERVICE_HOST is not set: this is not a Kubernetes pod")]
    public async Task ASiloWithABadSetting_StopsAtStart_InOneLine(string arguments, string message)
    {
        var result = await ProcessRunner.RunAsync("dotnet", [SiloDll(), .. arguments.Split(' ')], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"error: {message}", result.Error.Trim().Split('\n').Single()[..(message.Length + 7)]);
    }

    /// <summary>A port another process listens on (a first silo's) is refused: Orleans would share it
    /// (SO_REUSEPORT), and the kernel would hand each connection to either process.</summary>
    [Theory]
    [InlineData("--silo-port")]
    [InlineData("--gateway-port")]
    [InlineData("--dashboard-port")]
    [InlineData("--data-plane-port")]
    public async Task ASiloOnAPortInUse_StopsAtStart_InOneLine(string option)
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;

        var result = await ProcessRunner.RunAsync("dotnet", [SiloDll(), option, $"{port}"], TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Equal($"error: {option}: {port} is already taken on 127.0.0.1 (another silo, or another program)", result.Error.Trim().Split('\n').Single());
    }

    /// <summary>`--kubernetes` in something that looks like a pod but lacks what Kubernetes hosting
    /// needs: each missing piece named, in one line, before anything starts.</summary>
    [Fact]
    public async Task ASiloAskedForKubernetesHosting_NamesWhatThePodLacks()
    {
        var inPod = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1", ["KUBERNETES_SERVICE_PORT"] = "1" };
        var noName = await ProcessRunner.RunAsync("dotnet", [SiloDll(), "--kubernetes", "true", "--redis", "127.0.0.1:6390"], TimeSpan.FromSeconds(60), inPod);
        Assert.True(noName.ExitCode == 2, noName.ToString());
        Assert.StartsWith("error: --kubernetes: POD_NAME is not set", noName.Error.Trim().Split('\n').Single());

        var pod = new Dictionary<string, string>(inPod) { ["POD_NAME"] = "silo-0", ["POD_NAMESPACE"] = "default", ["POD_IP"] = "127.0.0.1" };
        var noToken = await ProcessRunner.RunAsync("dotnet", [SiloDll(), "--kubernetes", "true", "--redis", "127.0.0.1:6390"], TimeSpan.FromSeconds(60), pod);
        Assert.True(noToken.ExitCode == 2, noToken.ToString());
        Assert.StartsWith("error: --kubernetes: the pod has no service account token", noToken.Error.Trim().Split('\n').Single());
    }

    /// <summary>appsettings.json in the silo's working folder is read (keys are the settings' names),
    /// checked like the command line, and a file that is not JSON is named.</summary>
    [Theory]
    [InlineData("{ \"SiloPort\": \"abc\" }", "--silo-port: 'abc' is not a port")]
    [InlineData("{ \"DataPlane\": \"udp\" }", "--data-plane: 'udp' is not auto or tcp")]
    [InlineData("{ \"SiloPort\": ", "appsettings.json")]
    public async Task ASiloReadsAppSettingsJson_AndStopsOnABadValueInIt(string json, string message)
    {
        var folder = Directory.CreateTempSubdirectory("silo-settings-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "appsettings.json"), json);
            var result = await ProcessRunner.RunAsync("dotnet", [SiloDll()], TimeSpan.FromSeconds(60), workingDirectory: folder);

            Assert.True(result.ExitCode == 2, result.ToString());
            var line = result.Error.Trim().Split('\n').Single();
            Assert.StartsWith("error: ", line);
            Assert.Contains(message, line);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string SiloDll()
    {
        var silo = Path.Combine(Path.GetDirectoryName(ProcessRunner.ClientDll())!.Replace(Path.Combine("src", "Client"), Path.Combine("src", "Silo")), "DistTrain.Silo.dll");
        Assert.True(File.Exists(silo), $"{silo} is not built");
        return silo;
    }

    [Fact]
    public async Task ATestCsvWithLabelsTheNetworkCannotOutput_IsRefused_NotScoredZero()
    {
        var folder = Directory.CreateTempSubdirectory("disttrain-csv-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(folder, "train.csv"), "a,b,label\n1,2,0\n3,4,1\n5,6,0\n");
            File.WriteAllText(Path.Combine(folder, "test.csv"), "a,b,label\n1,2,7\n");

            var result = await RunAsync($"train --local --csv {folder}/train.csv --test-csv {folder}/test.csv --model 2-4-2 --epochs 1");

            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.StartsWith("error: --test-csv: The network 2-4-2 has 2 outputs", result.Error);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("train --local")]
    [InlineData("train")] // the embedded silo: the job fails on a worker, and that is still the user's mistake
    public async Task ADatasetThatCannotBeRead_IsOneLine_WithExitCode2(string command)
    {
        var folder = Directory.CreateTempSubdirectory("disttrain-corrupt-").FullName;
        try
        {
            TestPaths.WriteCorruptMnist(folder);

            var result = await RunAsync($"{command} --data {folder} --epochs 1");

            Assert.True(result.ExitCode == 2, result.ToString());
            Assert.StartsWith("error: ", result.Error);
            Assert.Contains("train-labels-idx1-ubyte.gz", result.Error);
            Assert.Single(result.Error.Trim().Split('\n'));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Theory]
    [InlineData("train --epochs 1 --gateway " + DownGateway)] // a named gateway is never replaced by an embedded silo
    [InlineData("submit --epochs 1 --gateway " + DownGateway)]
    [InlineData("train --detach --epochs 1 --gateway " + DownGateway)]
    [InlineData("jobs --gateway " + DownGateway)]
    [InlineData("status job-1 --gateway " + DownGateway)]
    public async Task AClusterThatDoesNotAnswer_IsExitCode3(string arguments)
    {
        var result = await RunAsync(arguments + " --connect-timeout 2");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("no DistTrain cluster reachable at 127.0.0.1:30390", result.Error);
        Assert.DoesNotContain("embedded", result.Output + result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public async Task Terminating_ATrainOnTheEmbeddedSilo_CancelsIt_WithExitCode130()
    {
        // SIGTERM takes the path of a first Ctrl-C (a test cannot type into a terminal): the job
        // is cancelled and the embedded silo stopped, promptly, instead of training to the end.
        var run = ProcessRunner.StartAsync("dotnet",
            [ProcessRunner.ClientDll(), "train", "--model", "784-256-256-10", "--epochs", "30", "--workers", "2"],
            startedWhen: line => line.StartsWith("Job ", StringComparison.Ordinal), TimeSpan.FromMinutes(2));
        var process = await run.Started;
        await Task.Delay(TimeSpan.FromSeconds(1)); // into the first epoch
        var signalled = System.Diagnostics.Stopwatch.StartNew();
        ProcessRunner.Terminate(process);

        var result = await run.Completion;

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("cancelled", result.Error);
        Assert.DoesNotContain("Final test accuracy", result.Output);
        Assert.True(signalled.Elapsed < TimeSpan.FromSeconds(30), $"took {signalled.Elapsed} to stop");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task CtrlC_InATerminal_StopsTheMainCommand_AndShowsTheCursorAgain(int presses)
    {
        // A real terminal: util-linux's `script` runs the console on a pseudo-terminal and passes
        // what is written to it on, so ^C reaches the console as a typed Ctrl-C (SIGINT from the
        // terminal), the way SIGTERM in the test above cannot show. One press cancels the job and
        // stops the embedded silo; a second one quits at once.
        var command = $"dotnet {ProcessRunner.ClientDll()} train --model 784-256-256-10 --epochs 30 --workers 2";
        var run = ProcessRunner.StartAsync("script", ["-qfec", command, "/dev/null"],
            startedWhen: line => line.Contains("Job ", StringComparison.Ordinal), TimeSpan.FromMinutes(2), keepInput: true);
        var process = await run.Started;
        await Task.Delay(TimeSpan.FromSeconds(1)); // into the first epoch, the progress bar drawn (cursor hidden)
        var pressed = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < presses; i++)
        {
            await Task.Delay(i == 0 ? 0 : 300);
            await process.StandardInput.WriteAsync('\u0003');
            await process.StandardInput.FlushAsync();
        }

        var result = await run.Completion;

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.True(pressed.Elapsed < TimeSpan.FromSeconds(30), $"took {pressed.Elapsed} to stop");
        Assert.DoesNotContain("Final test accuracy", result.Output);
        var output = result.Output;
        Assert.True(output.LastIndexOf("\u001b[?25h", StringComparison.Ordinal) > output.LastIndexOf("\u001b[?25l", StringComparison.Ordinal),
            $"the cursor was left hidden: {output[^Math.Min(400, output.Length)..]}");
        if (presses == 1)
        {
            Assert.Contains("cancelled", output);
        }
    }

    private static Task<ProcessRunner.Result> RunAsync(string arguments) =>
        ProcessRunner.RunAsync("dotnet", [ProcessRunner.ClientDll(), .. arguments.Split(' ')], TimeSpan.FromSeconds(90),
            new Dictionary<string, string> { ["DISTTRAIN_GATEWAY"] = "" });
}
