using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace DistTrain.Worker.DataPlane;

/// <summary>How a silo moves blocks to and from other silos (see <see cref="DataPlaneService"/>).</summary>
public sealed class DataPlaneOptions
{
    /// <summary>Which path reads blocks of another silo: the cheapest that works (Auto), or always TCP.</summary>
    public DataPlaneTransport Transport { get; set; } = DataPlaneTransport.Auto;

    /// <summary>Address the TCP listener binds to and publishes; the silo's advertised address with Redis membership.</summary>
    public IPAddress ListenAddress { get; set; } = IPAddress.Loopback;

    /// <summary>TCP port of the listener; 0 takes any free one (it is published with every block reference).</summary>
    public int Port { get; set; }

    /// <summary>Where segments that other processes on this host may map are kept (a tmpfs).</summary>
    public string SharedMemoryDirectory { get; set; } = "/dev/shm";

    /// <summary>Longest wait for a peer's connection, handshake or block before the read fails.</summary>
    public TimeSpan IoTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Most connections a listener serves at once; more are refused.</summary>
    public int MaxConnections { get; set; } = 256;

    /// <summary>The cluster certificate (<c>--tls-certificate</c>): every TCP connection of the data
    /// plane then runs mutual TLS pinned to it, as the Orleans connections do; null: plain TCP.</summary>
    public X509Certificate2? Certificate { get; set; }
}

public enum DataPlaneTransport
{
    /// <summary>Same process: in place; same host: shared memory; otherwise TCP.</summary>
    Auto,

    /// <summary>Blocks of another silo always over TCP (even in one process): tests and measurements.</summary>
    Tcp,

    /// <summary>Blocks of another silo through shared memory when the owner keeps them there (even
    /// in one process), else TCP: tests.</summary>
    SharedMemory,
}
