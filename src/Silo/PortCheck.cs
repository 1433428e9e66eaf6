using System.Net;
using System.Net.Sockets;

namespace DistTrain.Silo;

/// <summary>
/// Refuses ports another process already listens on. Orleans' listeners share a port with another
/// process's (SO_REUSEPORT): a second silo started on a first one's ports "starts", and the kernel
/// then hands each connection to either of them. A plain bind of our own fails on a port with a live
/// listener, so it finds them before anything starts.
/// </summary>
internal static class PortCheck
{
    public static void ThrowIfTaken(SiloSettings settings)
    {
        var silo = settings.ListenAddress;
        Check("--silo-port", silo, settings.SiloPort);
        Check("--gateway-port", silo, settings.GatewayPort);
        Check("--data-plane-port", silo, settings.DataPlanePort);
        if (settings.Dashboard is { } dashboard)
        {
            Check("--dashboard-port", dashboard.Address, dashboard.Port);
        }
    }

    private static void Check(string option, IPAddress address, int port)
    {
        if (port == 0)
        {
            return; // any free port
        }
        using var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        if (OperatingSystem.IsLinux())
        {
            // SO_REUSEADDR alone (not .NET's ReuseAddress, which adds SO_REUSEPORT): a port whose old
            // connections linger in TIME_WAIT after a silo died is free; one with a listener is not.
            socket.SetRawSocketOption(1 /* SOL_SOCKET */, 2 /* SO_REUSEADDR */, BitConverter.GetBytes(1));
        }
        try
        {
            socket.Bind(new IPEndPoint(address, port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            throw new FormatException($"{option}: {port} is already taken on {address} (another silo, or another program)");
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressNotAvailable)
        {
            throw new FormatException($"{option}: {address} is not an address of this machine");
        }
    }
}
