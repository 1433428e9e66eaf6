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
    private readonly ILogger _logger;
    private readonly TrafficCounters _traffic = new();
    private readonly DataPlaneServer _server;
    private readonly DataPlaneClient _client;
    private readonly SharedMemoryViews _views;
    private readonly bool _sharedMemory;

    public DataPlaneService(IOptions<DataPlaneOptions> options, IOptions<ClusterOptions> cluster, ILocalSiloDetails silo, ILogger<DataPlaneService> logger)
        : this(options.Value, $"{cluster.Value.ServiceId}/{cluster.Value.ClusterId}", silo.SiloAddress.ToString(), logger)
    {
        Telemetry.TrainingMetrics.ObserveDataPlane(() => (_traffic.TcpSent, _traffic.TcpReceived, _traffic.SharedRead));
    }

    /// <param name="clusterKey">What a peer must present to be served: the cluster's service and cluster ids.</param>
    /// <param name="silo">This silo's name in messages and references.</param>
    internal DataPlaneService(DataPlaneOptions options, string clusterKey, string silo, ILogger logger)
    {
        _options = options;
        _logger = logger;
        var key = clusterKey;
        _sharedMemory = SharedMemoryUsable(_options.SharedMemoryDirectory);
        KeepSparePoolThreads();
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
            Silo = silo,
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

    /// <summary>A new segment for <paramref name="elements"/> bfloat16 values (two to a float's bytes).</summary>
    public Segment CreateBf16(int elements, bool shared) => Create((elements + 1) / 2, shared).AsBf16(elements);

    public BlockRef RefOf(Segment segment) => segment.RefFor(Address);

    /// <summary>
    /// Values [offset, offset + destination.Length) of the block as floats, whatever its encoding:
    /// fp32 copied as it is, bfloat16 widened (exactly) on the way. <paramref name="offset"/> of a
    /// bfloat16 block is even: values travel two to a float's four bytes.
    /// </summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadValuesAsync(BlockRef block, long tag, int offset, Memory<float> destination, bool wait)
    {
        if (block.Encoding == BlockEncoding.Fp32)
        {
            await ReadAsync(block, tag, offset, destination, wait);
            return;
        }
        if (block.Encoding != BlockEncoding.Bf16 || offset < 0 || offset % 2 != 0 || (long)offset + destination.Length > block.Elements
            || block.Elements > 2L * block.Length)
        {
            throw new DataPlaneException($"values [{offset}, {(long)offset + destination.Length}) cannot be read from block {block.Segment} ({block.Encoding}, {block.Elements} values)");
        }
        var pairs = (destination.Length + 1) / 2;
        var (found, view) = await ViewAsync(block, tag, offset / 2, pairs, wait);
        if (found)
        {
            DistTrain.Core.Kernels.BFloat16.Widen(System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(view.Span)[..destination.Length], destination.Span);
            await ViewAsync(block, tag, offset / 2, pairs, wait: false, count: false); // the tag again
            return;
        }
        var received = System.Buffers.ArrayPool<float>.Shared.Rent(pairs);
        try
        {
            await ReadAsync(block, tag, offset / 2, received.AsMemory(0, pairs), wait);
            DistTrain.Core.Kernels.BFloat16.Widen(System.Runtime.InteropServices.MemoryMarshal.Cast<float, ushort>(received.AsSpan(0, pairs))[..destination.Length], destination.Span);
        }
        finally
        {
            System.Buffers.ArrayPool<float>.Shared.Return(received);
        }
    }

    /// <summary>The block's own array when it lives in this process as one (no copy at all).</summary>
    public bool TryGetArray(BlockRef block, out float[] array)
    {
        if (block.Encoding == BlockEncoding.Fp32 && InProcess(block) && ProcessSegments.TryGetValue(block.Segment, out var segment) && segment.Array is { } a
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
        // Without waiting, a view completes at once: its result is there to take.
        (var found, view) = ViewAsync(block, block.Tag, offset, length, wait: false, count: true).Result;
        return found;
    }

    /// <summary>As <see cref="TryView"/>, for the block holding <paramref name="tag"/>; with
    /// <paramref name="wait"/>, first waits (up to the I/O timeout) until its owner publishes it.</summary>
    public ValueTask<(bool Found, ReadOnlyMemory<float> View)> ViewAsync(BlockRef block, long tag, int offset, int length, bool wait) =>
        ViewAsync(block, tag, offset, length, wait, count: true);

    private ValueTask<(bool Found, ReadOnlyMemory<float> View)> ViewAsync(BlockRef block, long tag, int offset, int length, bool wait, bool count)
    {
        CheckRange(block, offset, length);
        if (InProcess(block))
        {
            if (!ProcessSegments.TryGetValue(block.Segment, out var segment) || segment.IsDisposed)
            {
                throw new DataPlaneException($"block {block.Segment} of {block.Owner.Silo} is no longer published");
            }
            return wait && segment.Tag != tag ? ViewAfterWaitAsync(block, segment, tag, offset, length) : ValueTask.FromResult(InProcessView(block, segment, tag, offset, length));
        }
        if (block.Shared && _sharedMemory && block.Owner.Host == Address.Host && _options.Transport != DataPlaneTransport.Tcp)
        {
            var mapped = _views.Open(block);
            if (wait)
            {
                // Another process will publish it: sleep on the segment's futex (no signal crosses
                // processes otherwise). This holds the thread; silos keep spare pool threads for it.
                mapped.WaitForTag(tag, _options.IoTimeout);
            }
            CheckHeader(block, mapped.Check(block.SegmentId, block.Length), mapped.Tag, tag);
            if (count)
            {
                _traffic.AddShared((long)length * sizeof(float));
            }
            return ValueTask.FromResult((true, mapped.Floats.Slice(offset, length)));
        }
        return ValueTask.FromResult((false, default(ReadOnlyMemory<float>)));
    }

    /// <summary>Within this process the owner's publish completes the wait: no thread is held.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<(bool, ReadOnlyMemory<float>)> ViewAfterWaitAsync(BlockRef block, Segment segment, long tag, int offset, int length)
    {
        try
        {
            await segment.WaitForTagAsync(tag, _options.IoTimeout);
        }
        catch (Exception e) when (e is TimeoutException or ObjectDisposedException)
        {
            throw new DataPlaneException($"block {block.Segment} of {block.Owner.Silo}: {e.Message}");
        }
        return InProcessView(block, segment, tag, offset, length);
    }

    private static (bool, ReadOnlyMemory<float>) InProcessView(BlockRef block, Segment segment, long tag, int offset, int length)
    {
        CheckHeader(block, segment.Check(block.SegmentId, block.Length), segment.Tag, tag);
        return (true, segment.Memory.Slice(offset, length));
    }

    /// <summary>Copies floats [offset, offset + destination.Length) of the block into
    /// <paramref name="destination"/> by whichever path reaches it; checks the tag again after a
    /// copy made in place, so a block rewritten meanwhile is refused, not half-read.</summary>
    public ValueTask ReadAsync(BlockRef block, int offset, Memory<float> destination, CancellationToken cancellation = default) =>
        ReadAsync(block, block.Tag, offset, destination, wait: false, cancellation);

    /// <summary>As <see cref="ReadAsync(BlockRef, int, Memory{float}, CancellationToken)"/>, for the
    /// block holding <paramref name="tag"/>, optionally waiting until its owner publishes it.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadAsync(BlockRef block, long tag, int offset, Memory<float> destination, bool wait, CancellationToken cancellation = default)
    {
        var (found, view) = await ViewAsync(block, tag, offset, destination.Length, wait);
        if (found)
        {
            view.Span.CopyTo(destination.Span);
            await ViewAsync(block, tag, offset, destination.Length, wait: false, count: false); // the tag again
            return;
        }
        if (!Segment.IsValidName(block.Segment))
        {
            throw new DataPlaneException($"'{block.Segment}' is not a data-plane segment name");
        }
        await _client.ReadAsync(block, tag, offset, destination, wait, cancellation);
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

    private static void CheckHeader(BlockRef block, string? problem, long found, long tag)
    {
        if (problem is not null)
        {
            throw new DataPlaneException($"block {block.Segment} of {block.Owner.Silo}: {problem}");
        }
        if (found != tag)
        {
            throw new DataPlaneException($"block {block.Segment} of {block.Owner.Silo} holds tag {found}, not {tag}: it was rewritten");
        }
    }

    /// <summary>
    /// A reader waiting for another process's block sleeps on a futex and holds its pool thread
    /// meanwhile; a silo has a group and a slice waiting so, each step. With the pool's minimum at
    /// the core count, two such waits on two cores left nothing for the socket completions and
    /// grain turns that end them until the pool injected threads, which it does slowly.
    /// </summary>
    private static void KeepSparePoolThreads()
    {
        ThreadPool.GetMinThreads(out var workers, out var io);
        var wanted = Environment.ProcessorCount + 8;
        if (workers < wanted)
        {
            ThreadPool.SetMinThreads(wanted, io);
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
