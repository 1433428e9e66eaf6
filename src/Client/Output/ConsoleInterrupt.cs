namespace DistTrain.Client.Output;

/// <summary>
/// Ctrl-C (and SIGTERM) for the whole console: the first cancels the running command's token, so a
/// `train` cancels its job or stops its embedded silo and the progress display puts the terminal
/// back; a second Ctrl-C ends the process at once (after showing the cursor again).
/// </summary>
/// <remarks>The hosts the console starts (an Orleans client, an embedded silo) must not listen for
/// Ctrl-C themselves: see <see cref="Cluster.CommandOwnedLifetime"/>.</remarks>
internal sealed class ConsoleInterrupt : IDisposable
{
    private readonly CancellationTokenSource _cancellation = new();
    private readonly System.Runtime.InteropServices.PosixSignalRegistration _terminate;
    private int _presses;

    public ConsoleInterrupt()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
        _terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true; // stop as on a first Ctrl-C: cancel the job, then exit
            Cancel();
        });
    }

    public CancellationToken Token => _cancellation.Token;

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        if (Interlocked.Increment(ref _presses) == 1)
        {
            e.Cancel = true;
            Console.Error.WriteLine();
            Console.Error.WriteLine("stopping… (press Ctrl-C again to quit at once)");
            Cancel();
            return;
        }
        // The second press: let the runtime end the process, with the terminal usable again.
        RestoreTerminal();
        e.Cancel = false;
    }

    private void Cancel()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The command already finished.
        }
    }

    /// <summary>Shows the cursor a live progress display hid.</summary>
    public static void RestoreTerminal()
    {
        if (!Console.IsOutputRedirected)
        {
            Console.Out.Write("\u001b[?25h");
            Console.Out.Flush();
        }
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _terminate.Dispose();
        _cancellation.Dispose();
    }
}
