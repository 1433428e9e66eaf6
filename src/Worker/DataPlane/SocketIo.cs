using System.Net.Sockets;

namespace DistTrain.Worker.DataPlane;

internal static class SocketIo
{
    /// <summary>Room for a whole block in flight: a step sends half a megabyte or more at once, and
    /// the kernel's initial buffers would make the sender wait for acknowledgements in between.</summary>
    public static void WidenBuffers(Socket socket)
    {
        socket.SendBufferSize = 4 << 20;
        socket.ReceiveBufferSize = 4 << 20;
    }

    /// <summary>Fills <paramref name="buffer"/> or throws: a peer that closes mid-frame is an error.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask ReceiveExactlyAsync(this Socket socket, Memory<byte> buffer, CancellationToken cancellation)
    {
        while (buffer.Length > 0)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellation);
            if (read == 0)
            {
                throw new EndOfStreamException($"the peer closed the connection with {buffer.Length} bytes of a frame still to come");
            }
            buffer = buffer[read..];
        }
    }

    /// <summary>Fills <paramref name="buffer"/> from a connection's stream or throws, as above.</summary>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    public static async ValueTask ReceiveExactlyAsync(this Stream stream, Memory<byte> buffer, CancellationToken cancellation)
    {
        while (buffer.Length > 0)
        {
            var read = await stream.ReadAsync(buffer, cancellation);
            if (read == 0)
            {
                throw new EndOfStreamException($"the peer closed the connection with {buffer.Length} bytes of a frame still to come");
            }
            buffer = buffer[read..];
        }
    }
}
