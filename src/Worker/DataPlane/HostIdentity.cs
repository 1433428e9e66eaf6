namespace DistTrain.Worker.DataPlane;

/// <summary>
/// Who shares what: processes with the same <see cref="Host"/> share /dev/shm and loopback (same
/// boot, same network namespace, so a rehearsal's namespaces count as separate hosts); silos with
/// the same <see cref="Process"/> share one address space.
/// </summary>
internal static class HostIdentity
{
    public static string Host { get; } = ReadHost();

    public static string Process { get; } = $"{Host}/{Environment.ProcessId}/{Guid.NewGuid():N}";

    private static string ReadHost()
    {
        try
        {
            var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            var network = new FileInfo("/proc/self/ns/net").LinkTarget ?? "";
            return $"{boot}/{network}";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or PlatformNotSupportedException)
        {
            // No /proc: the machine name, and no shared memory with anyone (Process differs anyway).
            return $"{Environment.MachineName}/{Environment.ProcessId}";
        }
    }
}
