namespace DistTrain.Client.Cluster;

/// <summary>
/// Lets idle thread-pool threads spin longer in a console that may host the embedded silo.
/// </summary>
/// <remarks>
/// A training step hands work between pool threads several times (job → workers → job → parameter
/// server → job), a few hundred microseconds apart. With the runtime's default spin limit (70) an idle
/// pool thread goes to sleep almost at once, and waking it costs tens of microseconds on a VM:
/// measured 0.07–0.20 ms of "transport" per wide step in one silo, against 0.03–0.05 ms at 2000.
/// The price is paid when idle too (an idle silo process burned ~40% of a core at 2000, ~2% at 70),
/// so only commands that may start an embedded silo, which lives as long as its job, turn it up;
/// dedicated silos keep the default unless told otherwise (deploy/README.md).
/// The runtime reads the setting once, when the pool starts its first thread: call this first.
/// </remarks>
public static class ThreadPoolSpin
{
    private const string Setting = "System.Threading.ThreadPool.UnfairSemaphoreSpinLimit";
    private const int TrainingSpinLimit = 2000;

    public static void ApplyIfHostingASilo(string[] args)
    {
        if (Environment.GetEnvironmentVariable("DOTNET_ThreadPool_UnfairSemaphoreSpinLimit") is not null)
        {
            return; // the user's own setting wins (and the runtime reads it first anyway)
        }
        if (MayHostSilo(args))
        {
            AppContext.SetData(Setting, TrainingSpinLimit);
        }
    }

    /// <summary>`train` without `--local`, and `bench --workers`: the commands that fall back to an
    /// embedded silo when no cluster answers.</summary>
    public static bool MayHostSilo(IReadOnlyList<string> args)
    {
        var command = args.Count > 0 ? args[0] : null;
        return (command == "train" && !args.Contains("--local"))
            || (command == "bench" && args.Any(a => a == "--workers" || a.StartsWith("--workers=", StringComparison.Ordinal)));
    }
}
