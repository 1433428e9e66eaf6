using System.Net;
using System.Net.Sockets;
using System.Text;
using CsCheck;
using DistTrain.Worker.DataPlane;

namespace DistTrain.Distributed.Tests.DataPlane;

/// <summary>A data-plane listener faced with strangers and bad frames: each is refused (the
/// connection closed, or a refusal status), and the listener goes on serving real readers.</summary>
public sealed class DataPlaneListenerTests
{
    [Fact]
    public async Task Strangers_AreRefused_AndTheListenerGoesOn()
    {
        using var pair = new DataPlanePair(DataPlaneTransport.Tcp, TimeSpan.FromSeconds(2));
        var (_, block, values) = pair.Publish(1000, tag: 3);
        var endpoint = IPEndPoint.Parse(block.Owner.Endpoint);

        // Not our protocol at all.
        Assert.True(await ClosedAfterAsync(endpoint, Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
        // Our protocol, another cluster: told so, then closed.
        var hello = new byte[WireFormat.HelloHeaderSize + WireFormat.MaxKeyBytes];
        var length = WireFormat.WriteHello(hello, "someone-else/cluster");
        var answer = await ExchangeAsync(endpoint, hello.AsSpan(0, length).ToArray(), WireFormat.AcceptSize);
        Assert.Equal(WireFormat.Status.WrongCluster, WireFormat.ReadAccept(answer));
        // Another protocol version.
        length = WireFormat.WriteHello(hello, DataPlanePair.ClusterKey);
        hello[4] = 99;
        Assert.True(await ClosedAfterAsync(endpoint, hello.AsSpan(0, length).ToArray()));
        // A good hello, then a request whose name is too long to be ours.
        Assert.True(await ClosedAfterHelloAsync(endpoint, request =>
        {
            WireFormat.WriteRequest(request, block.Segment, block.SegmentId, block.Tag, 0, 10, wait: false);
            request[4] = 0xFF;
            request[5] = 0x7F;
        }));

        var destination = new float[1000];
        await pair.Reader.ReadAsync(block, 0, destination);
        Assert.Equal(values, destination);
    }

    /// <summary>Random mutations of a valid request, each on a fresh connection after a good hello:
    /// answered (with data or a refusal) or the connection closed; never a crash or a hang.</summary>
    [Fact]
    public async Task MutatedRequests_AreAnsweredOrRefused_Never_Crash()
    {
        using var pair = new DataPlanePair(DataPlaneTransport.Tcp, TimeSpan.FromSeconds(1));
        var (_, block, values) = pair.Publish(512, tag: 3);
        var endpoint = IPEndPoint.Parse(block.Owner.Endpoint);
        var valid = new byte[WireFormat.RequestSize + WireFormat.MaxNameBytes];
        var length = WireFormat.WriteRequest(valid, block.Segment, block.SegmentId, block.Tag, 0, 512, wait: false);
        // One to three bit flips anywhere in the frame, drawn by CsCheck from a fixed seed. Flips keep
        // the frame's length: a frame cut short is a peer that stops sending (its own test, above).
        var flips = Gen.Select(Gen.Int[0, length - 1], Gen.Int[0, 7]).Array[1, 3];
        var pcg = new PCG(stream: 1, seed: 20261201);
        int answered = 0, refused = 0, closed = 0;
        const int Cases = DistTrain.Core.Tests.Fuzzing.Mutations.Cases;
        for (var i = 0; i < Cases; i++)
        {
            var request = valid.ToArray();
            foreach (var (at, bit) in flips.Generate(pcg, null, out _))
            {
                request[at] ^= (byte)(1 << bit);
            }
            var outcome = await SendRequestAsync(endpoint, request.AsSpan(0, length).ToArray());
            switch (outcome)
            {
                case WireFormat.Status.Ok: answered++; break;
                case null: closed++; break;
                default: refused++; break;
            }
        }
        Assert.Equal(Cases, answered + refused + closed);
        Assert.True(refused + closed > Cases / 2, $"{answered} answered, {refused} refused, {closed} closed");

        var destination = new float[512];
        await pair.Reader.ReadAsync(block, 0, destination);
        Assert.Equal(values, destination);
    }

    private static async Task<bool> ClosedAfterAsync(IPEndPoint endpoint, byte[] bytes)
    {
        using var socket = await ConnectAsync(endpoint);
        await socket.SendAsync(bytes);
        return await IsClosedAsync(socket);
    }

    private static async Task<bool> ClosedAfterHelloAsync(IPEndPoint endpoint, Action<byte[]> request)
    {
        using var socket = await ConnectAsync(endpoint);
        await HelloAsync(socket);
        var frame = new byte[WireFormat.RequestSize + WireFormat.MaxNameBytes];
        request(frame);
        await socket.SendAsync(frame.AsMemory(0, WireFormat.RequestSize));
        return await IsClosedAsync(socket);
    }

    private static async Task<byte[]> ExchangeAsync(IPEndPoint endpoint, byte[] bytes, int answer)
    {
        using var socket = await ConnectAsync(endpoint);
        await socket.SendAsync(bytes);
        var buffer = new byte[answer];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ReceiveExactlyAsync(buffer, timeout.Token);
        return buffer;
    }

    /// <summary>The status of the answer, or null when the listener closed the connection.</summary>
    private static async Task<WireFormat.Status?> SendRequestAsync(IPEndPoint endpoint, byte[] request)
    {
        using var socket = await ConnectAsync(endpoint);
        await HelloAsync(socket);
        await socket.SendAsync(request);
        var header = new byte[WireFormat.ResponseSize];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await socket.ReceiveExactlyAsync(header, timeout.Token);
        }
        catch (Exception e) when (e is EndOfStreamException or SocketException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            // The request is still incomplete by the listener's count (a mutated length field): it
            // waits for the rest, then gives up; the connection is ours to close.
            return null;
        }
        return WireFormat.ReadResponse(header).Status;
    }

    private static async Task HelloAsync(Socket socket)
    {
        var hello = new byte[WireFormat.HelloHeaderSize + WireFormat.MaxKeyBytes];
        var length = WireFormat.WriteHello(hello, DataPlanePair.ClusterKey);
        await socket.SendAsync(hello.AsMemory(0, length));
        var accept = new byte[WireFormat.AcceptSize];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await socket.ReceiveExactlyAsync(accept, timeout.Token);
        Assert.Equal(WireFormat.Status.Ok, WireFormat.ReadAccept(accept));
    }

    private static async Task<Socket> ConnectAsync(IPEndPoint endpoint)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endpoint);
        return socket;
    }

    private static async Task<bool> IsClosedAsync(Socket socket)
    {
        var buffer = new byte[64];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (true)
            {
                if (await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (SocketException)
        {
            return true; // reset
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}
