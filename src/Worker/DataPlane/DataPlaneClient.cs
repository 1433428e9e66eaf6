using System.Net;
using System.Net.Sockets;
using DistTrain.Contracts.Messages;
using DistTrain.Contracts.Payloads;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// Reads blocks from other hosts' silos over their data-plane listeners: a few kept-open connections
/// per peer, one request and one answer at a time on each, the bytes received straight into the
/// caller's (pinned) memory. Any failure, a refusal, a broken connection, a timeout, is thrown as
/// a <see cref="DataPlaneException"/> naming the block and the peer, and the connection dropped.
/// </summary>
internal sealed class DataPlaneClient(string clusterKey, DataPlaneOptions options, TrafficCounters traffic) : IDisposable
{
    private readonly Dictionary<string, Stack<Connection>> _idle = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <summary>Reads floats [offset, offset + destination.Length) of <paramref name="block"/> into <paramref name="destination"/>.</summary>
    /// <param name="wait">Let the owner answer once the block holds the tag, rather than refuse it.</param>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReadAsync(BlockRef block, long tag, int offset, Memory<float> destination, bool wait, CancellationToken cancellation)
    {
        var connection = Rent(block.Owner.Endpoint);
        try
        {
            await connection.OpenAsync(block, cancellation);
            await connection.ReadAsync(block, tag, offset, destination, wait, cancellation);
            traffic.AddReceived((long)destination.Length * sizeof(float));
            Return(block.Owner.Endpoint, connection);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or ObjectDisposedException || DataPlaneTls.IsRefusal(e))
        {
            connection.Dispose();
            if (cancellation.IsCancellationRequested)
            {
                throw;
            }
            throw e as DataPlaneException ?? new DataPlaneException(
                $"reading block {block.Segment} (tag {tag}) from {block.Owner.Silo} at {block.Owner.Endpoint} failed: {Describe(e)}");
        }
    }

    private static string Describe(Exception e) =>
        e is OperationCanceledException ? "no answer in time" : DataPlaneTls.IsRefusal(e) ? $"the TLS handshake failed ({e.Message})" : e.Message;

    private Connection Rent(string endpoint)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_idle.TryGetValue(endpoint, out var stack) && stack.TryPop(out var connection))
            {
                return connection;
            }
        }
        return new Connection(clusterKey, options.IoTimeout, options.Certificate);
    }

    private void Return(string endpoint, Connection connection)
    {
        lock (_lock)
        {
            if (!_disposed)
            {
                if (!_idle.TryGetValue(endpoint, out var stack))
                {
                    _idle[endpoint] = stack = new Stack<Connection>();
                }
                if (stack.Count < 8)
                {
                    stack.Push(connection);
                    return;
                }
            }
        }
        connection.Dispose();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (var connection in _idle.Values.SelectMany(s => s))
            {
                connection.Dispose();
            }
            _idle.Clear();
        }
    }

    /// <summary>One connection to one peer, with its own buffers: nothing allocated per read once open.</summary>
    private sealed class Connection(string clusterKey, TimeSpan timeout, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate) : IDisposable
    {
        private readonly byte[] _frame = new byte[Math.Max(WireFormat.HelloHeaderSize + WireFormat.MaxKeyBytes, WireFormat.RequestSize + WireFormat.MaxNameBytes)];
        private readonly PointerMemory<byte> _window = PointerMemory<byte>.Unset();
        private CancellationTokenSource _timer = new();
        private Stream? _stream;

        public async ValueTask OpenAsync(BlockRef block, CancellationToken cancellation)
        {
            if (_stream is not null)
            {
                return;
            }
            if (!IPEndPoint.TryParse(block.Owner.Endpoint, out var endpoint) || endpoint.Port == 0)
            {
                throw new DataPlaneException($"{block.Owner.Silo} publishes no usable data-plane endpoint ('{block.Owner.Endpoint}')");
            }
            var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            var token = Start(cancellation, out var linked);
            using var _ = linked;
            try
            {
                SocketIo.WidenBuffers(socket);
                await socket.ConnectAsync(endpoint, token);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
            _stream = await DataPlaneTls.ConnectAsync(socket, certificate, token);
            var length = WireFormat.WriteHello(_frame, clusterKey);
            await _stream.WriteAsync(_frame.AsMemory(0, length), token);
            await _stream.ReceiveExactlyAsync(_frame.AsMemory(0, WireFormat.AcceptSize), token);
            if (WireFormat.ReadAccept(_frame) is var status and not WireFormat.Status.Ok)
            {
                throw new DataPlaneException($"{block.Owner.Silo} at {block.Owner.Endpoint} refused the data-plane connection: {WireFormat.Describe(status)}");
            }
            Stop();
        }

        [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
        public async ValueTask ReadAsync(BlockRef block, long tag, int offset, Memory<float> destination, bool wait, CancellationToken cancellation)
        {
            var stream = _stream!;
            // A waiting request may sit at the owner for its whole timeout; allow for the transfer on top.
            var token = Start(cancellation, out var linked, wait ? 2 : 1);
            using var _ = linked;
            var length = WireFormat.WriteRequest(_frame, block.Segment, block.SegmentId, tag, offset, destination.Length, wait);
            await stream.WriteAsync(_frame.AsMemory(0, length), token);
            await stream.ReceiveExactlyAsync(_frame.AsMemory(0, WireFormat.ResponseSize), token);
            var (status, found, bytes) = WireFormat.ReadResponse(_frame);
            if (status != WireFormat.Status.Ok)
            {
                throw new DataPlaneException($"{block.Owner.Silo} refused block {block.Segment} (tag {tag}, found {found}): {WireFormat.Describe(status)}");
            }
            if (found != tag || bytes != destination.Length * sizeof(float))
            {
                throw new DataPlaneException($"{block.Owner.Silo} answered for block {block.Segment} with tag {found} and {bytes} bytes; asked for tag {tag} and {destination.Length * sizeof(float)} bytes");
            }
            using var pin = destination.Pin();
            Aim(pin, bytes);
            await stream.ReceiveExactlyAsync(_window.Memory, token);
            Stop();
        }

        private unsafe void Aim(System.Buffers.MemoryHandle pin, int bytes) => _window.Reset((byte*)pin.Pointer, bytes);

        // The timer source is reused while it has not fired; a caller's token is linked only when it
        // can be cancelled at all (grains pass none), so a steady-state read allocates nothing.
        private CancellationToken Start(CancellationToken cancellation, out CancellationTokenSource? linked, int timeouts = 1)
        {
            _timer.CancelAfter(timeout * timeouts);
            linked = cancellation.CanBeCanceled ? CancellationTokenSource.CreateLinkedTokenSource(_timer.Token, cancellation) : null;
            return linked?.Token ?? _timer.Token;
        }

        private void Stop()
        {
            if (!_timer.TryReset())
            {
                _timer.Dispose();
                _timer = new CancellationTokenSource();
            }
        }

        public void Dispose()
        {
            _stream?.Dispose();
            _timer.Dispose();
        }
    }
}
