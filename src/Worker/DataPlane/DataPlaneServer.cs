using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// A silo's TCP listener: serves ranges of the silo's own segments to silos on other hosts. One
/// connection per peer silo, kept open; each request is answered with the raw bytes straight from
/// the segment. Anything that is not a well-formed request of this cluster is refused with a logged
/// reason and the connection closed; the silo goes on.
/// </summary>
internal sealed class DataPlaneServer : IDisposable
{
    private readonly Socket _listener;
    private readonly Func<string, Segment?> _segments;
    private readonly byte[] _clusterKey;
    private readonly DataPlaneOptions _options;
    private readonly TrafficCounters _traffic;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private int _connections;

    public DataPlaneServer(DataPlaneOptions options, string clusterKey, Func<string, Segment?> segments, TrafficCounters traffic, ILogger logger)
    {
        _options = options;
        _segments = segments;
        _clusterKey = Encoding.UTF8.GetBytes(clusterKey);
        _traffic = traffic;
        _logger = logger;
        _listener = new Socket(options.ListenAddress.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(new IPEndPoint(options.ListenAddress, options.Port));
            _listener.Listen(64);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            throw new InvalidOperationException($"The data plane cannot listen on {options.ListenAddress}:{options.Port}: {e.Message}", e);
        }
        Endpoint = (IPEndPoint)_listener.LocalEndPoint!;
        _ = AcceptLoopAsync();
    }

    public IPEndPoint Endpoint { get; }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket peer;
            try
            {
                peer = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                if (_stop.IsCancellationRequested)
                {
                    return;
                }
                _logger.LogWarning("Data plane: accepting a connection failed: {Error}", e.Message);
                await Task.Delay(100);
                continue;
            }
            if (Interlocked.Increment(ref _connections) > _options.MaxConnections)
            {
                Interlocked.Decrement(ref _connections);
                _logger.LogWarning("Data plane: refused a connection from {Peer}: already serving {Max}", peer.RemoteEndPoint, _options.MaxConnections);
                peer.Dispose();
                continue;
            }
            _ = Task.Run(() => ServeAsync(peer));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        var remote = socket.RemoteEndPoint?.ToString() ?? "?";
        Stream? peer = null;
        var buffer = new byte[Math.Max(WireFormat.HelloHeaderSize + WireFormat.MaxKeyBytes, WireFormat.RequestSize + WireFormat.MaxNameBytes)];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        var lastNameBytes = new byte[WireFormat.MaxNameBytes];
        var lastNameLength = 0;
        var lastName = "";
        try
        {
            socket.NoDelay = true;
            SocketIo.WidenBuffers(socket);
            timeout.CancelAfter(_options.IoTimeout);
            try
            {
                peer = await DataPlaneTls.AcceptAsync(socket, _options.Certificate, timeout.Token);
            }
            catch (Exception e) when (DataPlaneTls.IsRefusal(e) || (e is IOException && _options.Certificate is not null))
            {
                _logger.LogWarning("Data plane: refused {Peer}: the TLS handshake failed ({Reason})", remote, e.Message);
                return;
            }
            if (await HandshakeAsync(peer, buffer, timeout.Token) is { } refusal)
            {
                _logger.LogWarning("Data plane: refused {Peer}: {Reason}", remote, refusal);
                return;
            }
            while (true)
            {
                // Idle between steps for as long as the peer likes; once a request starts, it must come whole.
                timeout.CancelAfter(Timeout.InfiniteTimeSpan);
                await peer.ReceiveExactlyAsync(buffer.AsMemory(0, 4), timeout.Token);
                timeout.CancelAfter(_options.IoTimeout);
                await peer.ReceiveExactlyAsync(buffer.AsMemory(4, WireFormat.RequestSize - 4), timeout.Token);
                var (request, error) = WireFormat.ReadRequest(buffer);
                if (error is not null)
                {
                    _logger.LogWarning("Data plane: closed the connection of {Peer}: {Reason}", remote, error);
                    return;
                }
                await peer.ReceiveExactlyAsync(buffer.AsMemory(WireFormat.RequestSize, request.NameLength), timeout.Token);
                // A peer asks for the same few blocks step after step: keep the name, not a new string each time.
                var nameBytes = buffer.AsSpan(WireFormat.RequestSize, request.NameLength);
                if (!nameBytes.SequenceEqual(lastNameBytes.AsSpan(0, lastNameLength)))
                {
                    lastName = Encoding.ASCII.GetString(nameBytes);
                    nameBytes.CopyTo(lastNameBytes);
                    lastNameLength = nameBytes.Length;
                }
                var name = lastName;
                await AnswerAsync(peer, buffer, name, request, timeout.Token);
            }
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // A peer that went away or stalled (a TLS stream reports a reset as an IOException): nothing to serve any more.
            if (!_stop.IsCancellationRequested)
            {
                _logger.LogDebug("Data plane: connection of {Peer} ended: {Reason}", remote, e.Message);
            }
        }
        finally
        {
            if (peer is null)
            {
                socket.Dispose();
            }
            else
            {
                await peer.DisposeAsync();
            }
            Interlocked.Decrement(ref _connections);
        }
    }

    private async Task<string?> HandshakeAsync(Stream peer, byte[] buffer, CancellationToken cancellation)
    {
        await peer.ReceiveExactlyAsync(buffer.AsMemory(0, WireFormat.HelloHeaderSize), cancellation);
        var (keyLength, error) = WireFormat.ReadHelloHeader(buffer);
        if (error is not null)
        {
            return error;
        }
        await peer.ReceiveExactlyAsync(buffer.AsMemory(WireFormat.HelloHeaderSize, keyLength), cancellation);
        var matches = buffer.AsSpan(WireFormat.HelloHeaderSize, keyLength).SequenceEqual(_clusterKey);
        WireFormat.WriteAccept(buffer, matches ? WireFormat.Status.Ok : WireFormat.Status.WrongCluster);
        await peer.WriteAsync(buffer.AsMemory(0, WireFormat.AcceptSize), cancellation);
        return matches ? null : "it belongs to another cluster";
    }

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AnswerAsync(Stream peer, byte[] buffer, string name, WireFormat.Request request, CancellationToken cancellation)
    {
        var segment = Segment.IsValidName(name) ? _segments(name) : null;
        if (request.Wait && segment is not null && segment.Id == request.SegmentId && segment.Tag != request.Tag)
        {
            try
            {
                await segment.WaitForTagAsync(request.Tag, _options.IoTimeout, cancellation);
            }
            catch (Exception e) when (e is TimeoutException or ObjectDisposedException)
            {
                // Answered below as a stale tag: the reader says which step never came.
            }
        }
        var status = WireFormat.Status.Ok;
        if (segment is null || segment.Id != request.SegmentId || segment.IsDisposed)
        {
            status = WireFormat.Status.UnknownSegment;
        }
        else if ((long)request.Offset + request.Length > segment.Length)
        {
            status = WireFormat.Status.OutOfRange;
        }
        else if (segment.Tag != request.Tag)
        {
            status = WireFormat.Status.StaleTag;
        }
        var bytes = status == WireFormat.Status.Ok ? request.Length * sizeof(float) : 0;
        WireFormat.WriteResponse(buffer, status, segment?.Tag ?? 0, bytes);
        await peer.WriteAsync(buffer.AsMemory(0, WireFormat.ResponseSize), cancellation);
        if (bytes > 0)
        {
            await peer.WriteAsync(segment!.Bytes.Slice(request.Offset * sizeof(float), bytes), cancellation);
            _traffic.AddSent(bytes);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
    }
}
