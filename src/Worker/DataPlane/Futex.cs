using System.Runtime.InteropServices;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// Linux futexes on a word of a segment's header: a reader that waits for a block sleeps in the
/// kernel until the writer's publish wakes it, in this process or another one mapping the same
/// file. Polling instead cost a core per waiting reader, and a 2-core host running three silos has
/// none to spare. Elsewhere (no futexes) readers fall back to short sleeps.
/// </summary>
internal static unsafe partial class Futex
{
    private const int Wait = 0;
    private const int Wake = 1;

    private static readonly long SysFutex = RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 202,
        Architecture.Arm64 => 98,
        _ => -1,
    };

    public static bool Supported { get; } = OperatingSystem.IsLinux() && SysFutex > 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long SysCall(long number, int* address, int operation, int value, Timespec* timeout, int* address2, int value3);

    /// <summary>Sleeps while <c>*address == expected</c>, at most <paramref name="timeout"/>; returns at
    /// once if the word has already changed (or spuriously: callers look again).</summary>
    public static void WaitWhile(int* address, int expected, TimeSpan timeout)
    {
        if (!Supported)
        {
            Thread.Sleep(1);
            return;
        }
        var ticks = Math.Max(0, timeout.Ticks);
        var spec = new Timespec { Seconds = ticks / TimeSpan.TicksPerSecond, Nanoseconds = ticks % TimeSpan.TicksPerSecond * 100 };
        SysCall(SysFutex, address, Wait, expected, &spec, null, 0);
    }

    public static void WakeAll(int* address)
    {
        if (Supported)
        {
            SysCall(SysFutex, address, Wake, int.MaxValue, null, null, 0);
        }
    }
}
