using System.Diagnostics;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>Runs a child process to its end (bounded in time) and captures its output.</summary>
internal static partial class ProcessRunner
{
    /// <summary>A process started by <see cref="StartAsync"/>: <see cref="Started"/> completes when a
    /// line of its output says it got going, <see cref="Completion"/> when it exits.</summary>
    public sealed record Running(Task<Process> Started, Task<Result> Completion);

    /// <summary>Starts a process to act on while it runs (to signal it, say; with
    /// <paramref name="keepInput"/> its standard input stays open to be written to).</summary>
    public static Running StartAsync(string fileName, IEnumerable<string> arguments, Func<string, bool> startedWhen, TimeSpan timeout, bool keepInput = false)
    {
        var info = StartInfo(fileName, arguments);
        var started = new TaskCompletionSource<Process>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Text.StringBuilder();
        var error = new System.Text.StringBuilder();
        var process = new Process { StartInfo = info };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            lock (output)
            {
                output.AppendLine(e.Data);
            }
            if (startedWhen(e.Data))
            {
                started.TrySetResult(process);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (error)
            {
                error.AppendLine(e.Data);
            }
        };
        process.Start();
        if (!keepInput)
        {
            process.StandardInput.Close();
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new Running(started.Task, WaitAsync());

        async Task<Result> WaitAsync()
        {
            using var cancel = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                started.TrySetException(new TimeoutException($"{fileName} ran over {timeout}"));
                throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} ran over {timeout}\n{output}\n{error}");
            }
            process.WaitForExit(); // drains the output events
            started.TrySetException(new InvalidOperationException($"{fileName} exited before it started: {output}\n{error}"));
            lock (output)
            {
                return new Result(process.ExitCode, output.ToString(), error.ToString());
            }
        }
    }

    private static ProcessStartInfo StartInfo(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = TestPaths.RepoRoot,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }
        return info;
    }

    /// <summary>Sends SIGTERM, as a service manager (or `kill`) would.</summary>
    public static void Terminate(Process process)
    {
        if (Kill(process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"kill({process.Id}, SIGTERM) failed");
        }
    }

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "kill")]
    private static partial int Kill(int pid, int signal);

    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Output}\n--- stderr\n{Error}";
    }

    public static async Task<Result> RunAsync(string fileName, IEnumerable<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = StartInfo(fileName, arguments);
        if (workingDirectory is not null)
        {
            info.WorkingDirectory = workingDirectory;
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        using var process = Process.Start(info)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            // What it printed before it was stopped says where it hung.
            var said = await Task.WhenAll(output, error).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : ["?", "?"]);
            throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} ran over {timeout}\n--- stdout (last 2,000 characters)\n{Tail(said[0])}\n--- stderr\n{Tail(said[1])}");
        }

        return new Result(process.ExitCode, await output, await error);
    }

    private static string Tail(string text) => text.Length <= 2000 ? text : text[^2000..];

    /// <summary>The console, built beside the tests in the same configuration.</summary>
    public static string ClientDll()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}") ? "Debug" : "Release";
        return Path.Combine(TestPaths.RepoRoot, "src", "Client", "bin", configuration, "net10.0", "disttrain.dll");
    }
}
