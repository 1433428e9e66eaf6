using System.Collections.Concurrent;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// A silo's data plane: the bulk bytes of training (weights, gradients) travel here, outside Orleans
/// messaging, which carries only <see cref="BlockRef"/>s. A silo creates segments for the blocks it
/// publishes; a reader takes the cheapest path to a block: in place in the same process, mapped
/// from the owner's shared-memory file on the same host, or fetched over the owner's TCP listener.
/// </summary>
public sealed class DataPlaneService : IDisposable
{
    // Every segment of this process by name, for in-process readers (the silos of a test cluster,
    // or of the embedded cluster, share one process). Names are random: no two silos clash.
    private static readonly ConcurrentDictionary<string, Segment> ProcessSegments = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, Segment> _own = new(StringComparer.Ordinal);
    private readonly DataPlaneOptions _options;
    private readonly ILogger<DataPlaneService> _logger;
    private readonly TrafficCounters _traffic = new();
    private readonly DataPlaneServer _server;
    private readonly DataPlaneClient _client;
    private readonly SharedMemoryViews _views;
    private readonly bool _sharedMemory;

    public DataPlaneService(IOptions<DataPlaneOptions> options, IOptions<ClusterOptions> cluster, ILocalSiloDetails silo, ILogger<DataPlaneService> logger)
    {
        _options = options.Value;
        _logger = logger;
        var key = $"{cluster.Value.ServiceId}/{cluster.Value.ClusterId}";
        _sharedMemory = SharedMemoryUsable(_options.SharedMemoryDirectory);
        if (_sharedMemory)
        {
            SweepDeadProcesses(_options.SharedMemoryDirectory);
        }
        _server = new DataPlaneServer(_options, key, name => _own.TryGetValue(name, out var s) ? s : null, _traffic, logger);
        _client = new DataPlaneClient(key, _options, _traffic);
        _views = new SharedMemoryViews(_options.SharedMemoryDirectory);
        Address = new DataPlaneAddress
        {
            Host = HostIdentity.Host,
            Process = HostIdentity.Process,
            Endpoint = _server.Endpoint.ToString(),
            Silo = silo.SiloAddress.ToString(),
        };
        logger.LogInformation("Data plane of {Silo}: TCP on {Endpoint}, shared memory {Shared}, transport {Transport}",
            Address.Silo, Address.Endpoint, _sharedMemory ? _options.SharedMemoryDirectory : "off", _options.Transport);
    }

    public DataPlaneAddress Address { get; }

    public DataPlaneTraffic Traffic() => new()
    {
        Silo = Address.Silo,
        TcpBytesSent = _traffic.TcpSent,
        TcpBytesReceived = _traffic.TcpReceived,
        SharedBytesRead = _traffic.SharedRead,
    };

    /// <summary>A new segment of <paramref name="length"/> floats, in shared memory when
    /// <paramref name="shared"/> (other processes on this host will read it) and the host allows.</summary>
    public Segment Create(int length, bool shared)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Segment segment = shared && _sharedMemory && _options.Transport != DataPlaneTransport.Tcp
            ? SharedMemorySegment.Create(_options.SharedMemoryDirectory, length)
            : PinnedSegment.Create(length);
        _own[segment.Name] = segment;
        ProcessSegments[segment.Name] = segment;
        return segment;
    }

    /// <summary>No reader will be sent to <paramref name="segment"/> again: unpublish it now, free it
    /// a minute later (a reader may still be inside its last step).</summary>
    public void Retire(Segment segment)
    {
        _own.TryRemove(segment.Name, out _);
        ProcessSegments.TryRemove(segment.Name, out _);
        (segment as SharedMemorySegment)?.Unlink();
        Task.Delay(TimeSpan.FromMinutes(1)).ContinueWith(_ => segment.Dispose(), TaskScheduler.Default);
    }

    public BlockRef RefOf(Segment segment) => segment.RefFor(Address);

    /// <summary>The block's own array when it lives in this process as one (no copy at all).</summary>
    public bool TryGetArray(BlockRef block, out float[] array)
    {
        if (InProcess(block) && ProcessSegments.TryGetValue(block.Segment, out var segment) && segment.Array is { } a
            && segment.Id == block.SegmentId && a.Length == block.Length && segment.Tag == block.Tag)
        {
            array = a;
            return true;
        }
        array = [];
        return false;
    }

    /// <summary>
    /// The block's floats [offset, offset + length) read in place, when its segment is in this
    /// process or in this host's shared memory; false when only the network reaches it. The view is
    /// valid while the owner keeps the block (the synchronous protocol's rule, see StepBuffers).
    /// Throws <see cref="DataPlaneException"/> when the block is not what the reference promised.
    /// </summary>
    public bool TryView(BlockRef block, int offset, int length, out ReadOnlyMemory<float> view)
    {
        CheckRange(block, offset, length);
        if (InProcess(block))
        {
            if (!ProcessSegments.TryGetValue(block.Segment, out var segment) || segment.IsDisposed)
            {
                throw new DataPlaneException($"block {block.Segment} of {block.Owner.Silo} is no longer published");
            }
            CheckHeader(block, segment.Check(block.SegmentId, block.Length), segment.Tag);
            view = segment.Memory.Slice(offset, length);
            return true;
        }
        if (block.Shared && _sharedMemory && block.Owner.Host == Address.Host && _options.Transport != DataPlaneTransport.Tcp)
        {
            var mapped = _views.Open(block);
            CheckHeader(block, mapped.Check(block.SegmentId, block.Length), mapped.Tag);
            _traffic.AddShared((long)length * sizeof(float));
            view = mapped.Floats.Slice(offset, length);
            return true;
        }
        view = default;
        return false;
    }

    /// <summary>Copies floats [offset, offset + destination.Length) of the block into
    /// <paramref name="destination"/> by whichever path reaches it; checks the tag again after a
    /// copy made in place, so a block rewritten meanwhile is refused, not half-read.</summary>
    public async ValueTask ReadAsync(BlockRef block, int offset, Memory<float> destination, CancellationToken cancellation = default)
    {
        if (TryView(block, offset, destination.Length, out var view))
        {
            view.Span.CopyTo(destination.Span);
            TryView(block, offset, destination.Length, out _); // the tag again
            return;
        }
        if (!Segment.IsValidName(block.Segment))
        {
            throw new DataPlaneException($"'{block.Segment}' is not a data-plane segment name");
        }
        await _client.ReadAsync(block, offset, destination, cancellation);
    }

    private bool InProcess(BlockRef block) =>
        block.Owner.Process == Address.Process && (_options.Transport == DataPlaneTransport.Auto || block.Owner.Silo == Address.Silo);

    private static void CheckRange(BlockRef block, int offset, int length)
    {
        if (offset < 0 || length < 0 || (long)offset + length > block.Length)
        {
            throw new DataPlaneException($"floats [{offset}, {(long)offset + length}) lie outside block {block.Segment} of {block.Length}");
        }
    }

    private static void CheckHeader(BlockRef block, string? problem, long tag)
    {
        if (problem is not null)
        {
            throw new DataPlaneException($"block {block.Segment} of {block.Owner.Silo}: {problem}");
        }
        if (tag != block.Tag)
        {
            throw new DataPlaneException($"block {block.Segment} of {block.Owner.Silo} holds tag {tag}, not {block.Tag}: it was rewritten");
        }
    }

    private static bool SharedMemoryUsable(string directory)
    {
        try
        {
            return OperatingSystem.IsLinux() && Directory.Exists(directory) && new DriveInfo(directory).DriveFormat == "tmpfs";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Segment files of processes that died without cleaning up (a killed silo) are deleted.</summary>
    private void SweepDeadProcesses(string directory)
    {
        try
        {
            foreach (var path in Directory.EnumerateFiles(directory, "disttrain-*"))
            {
                var parts = Path.GetFileName(path).Split('-');
                if (parts.Length == 3 && int.TryParse(parts[1], out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
                {
                    File.Delete(path);
                }
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _logger.LogDebug("Data plane: could not sweep {Directory}: {Error}", directory, e.Message);
        }
    }

    public void Dispose()
    {
        _server.Dispose();
        _client.Dispose();
        _views.Dispose();
        // Retired, not freed: in a test cluster another silo of this process may be mid-read.
        foreach (var segment in _own.Values)
        {
            Retire(segment);
        }
    }
}
