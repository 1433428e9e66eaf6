namespace DistTrain.Client.Cluster;

/// <summary>
/// Lets idle thread-pool threads spin longer in a console that may host the embedded silo.
/// </summary>
/// <remarks>
/// A training step hands work between pool threads several times (job → workers → job → parameter
/// server → job), a few hundred microseconds apart. With the runtime's default spin limit (70) an idle
/// pool thread goes to sleep almost at once, and waking it costs tens of microseconds on a VM:
/// measured 0.06–0.14 ms of "transport" per wide step in one silo, against 0.03–0.05 ms at 500
/// (1000 and 2000 gained nothing more). The price is paid when idle too: Orleans' timers wake the
/// pool ~50 times a second, and an idle silo process used 4.4% of a core at 500, 12% at 2000 and
/// ~1% at 70. So only commands that may start an embedded silo, which lives as long as its job, turn
/// it up, and dedicated silos keep the default unless told otherwise (deploy/README.md).
/// The runtime reads the setting once, when the pool starts its first thread: call this first.
/// </remarks>
public static class ThreadPoolSpin
{
    private const string Setting = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";
    public const int TrainingSpinLimit = 500;

    public static void ApplyIfHostingASilo(string[] args)
    {
        // A value from runtimeconfig.json is the user's; the DOTNET_ variable overrides both anyway.
        if (AppContext.GetData(Setting) is null && MayHostSilo(args))
        {
            AppContext.SetData(Setting, TrainingSpinLimit);
        }
    }

    /// <summary>`train` without `--local` or `--detach`, and `bench --workers`: the commands that fall
    /// back to an embedded silo when no cluster answers. (With a cluster, the console then spins a
    /// little for nothing while it watches the job.)</summary>
    public static bool MayHostSilo(IReadOnlyList<string> args)
    {
        var command = args.Count > 0 ? args[0] : null;
        return (command == "train" && !args.Contains("--local") && !args.Contains("--detach"))
            || (command == "bench" && args.Any(a => a == "--workers" || a.StartsWith("--workers=", StringComparison.Ordinal)));
    }
}
