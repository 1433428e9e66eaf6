namespace DistTrain.Worker.DataPlane;

/// <summary>Bytes a silo's data plane moved since it started (what `bench` reports per step and silo).</summary>
internal sealed class TrafficCounters
{
    private long _tcpSent, _tcpReceived, _sharedRead;

    public long TcpSent => Interlocked.Read(ref _tcpSent);

    public long TcpReceived => Interlocked.Read(ref _tcpReceived);

    public long SharedRead => Interlocked.Read(ref _sharedRead);

    public void AddSent(long bytes) => Interlocked.Add(ref _tcpSent, bytes);

    public void AddReceived(long bytes) => Interlocked.Add(ref _tcpReceived, bytes);

    public void AddShared(long bytes) => Interlocked.Add(ref _sharedRead, bytes);
}
