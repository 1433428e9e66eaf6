using DistTrain.Contracts.Messages;
using DistTrain.Distributed.Tests.Infrastructure;
using DistTrain.Worker.DataPlane;

namespace DistTrain.Distributed.Tests.DataPlane;

/// <summary>The data plane's TCP connections with the cluster certificate (`--tls-certificate`):
/// mutual TLS pinned to it. Blocks arrive bit for bit; a reader without the certificate, with
/// another one, or without TLS at all is refused with a logged reason, and the listener goes on.</summary>
public sealed class DataPlaneTlsTests(ITestOutputHelper output)
{
    private static readonly System.Security.Cryptography.X509Certificates.X509Certificate2 Cluster = TestCertificates.Create("disttrain-cluster");

    [Fact]
    public async Task Read_OverTls_ReturnsTheBlockBitExactly()
    {
        using var pair = new DataPlanePair(DataPlaneTransport.Tcp, ownerCertificate: Cluster);
        var (segment, block, values) = pair.Publish(269_322, tag: 5);

        var whole = new float[values.Length];
        await pair.Reader.ReadAsync(block, 0, whole);
        Assert.Equal(values, whole);

        // Kept open: the next step's read goes over the same session, waiting for its tag.
        var next = pair.Reader.ReadAsync(block, 6, 0, whole, wait: true).AsTask();
        values.AsSpan().Reverse();
        values.CopyTo(segment.Floats);
        segment.Publish(6);
        await next;
        Assert.Equal(values, whole);
        Assert.True(pair.Reader.Traffic().TcpBytesReceived >= 2 * values.Length * 4L);
    }

    [Fact]
    public async Task ReadersWithoutTheCertificate_AreRefused_AndTheListenerGoesOn()
    {
        var log = new ListLogger();
        using var pair = new DataPlanePair(DataPlaneTransport.Tcp, TimeSpan.FromSeconds(3), ownerCertificate: Cluster, ownerLog: log);
        var (_, block, values) = pair.Publish(1000, tag: 3);
        var destination = new float[1000];

        // Another cluster's certificate (the same name, another key), and no TLS at all.
        using (var stranger = new DataPlanePair(DataPlaneTransport.Tcp, TimeSpan.FromSeconds(3), ownerCertificate: TestCertificates.Create("disttrain-cluster")))
        {
            var error = await Assert.ThrowsAsync<DataPlaneException>(async () => await stranger.Reader.ReadAsync(block, 0, destination));
            output.WriteLine($"another certificate: {error.Message}");
            Assert.Contains(block.Owner.Silo, error.Message);
        }
        using (var plain = new DataPlanePair(DataPlaneTransport.Tcp, TimeSpan.FromSeconds(3)))
        {
            var error = await Assert.ThrowsAsync<DataPlaneException>(async () => await plain.Reader.ReadAsync(block, 0, destination));
            output.WriteLine($"no TLS: {error.Message}");
        }
        await WaitForAsync(() => log.Warnings.Count(w => w.Contains("TLS handshake failed")) >= 2);
        Assert.All(log.Warnings, w => output.WriteLine($"owner logged: {w}"));

        await pair.Reader.ReadAsync(block, 0, destination); // the cluster's own reader is still served
        Assert.Equal(values, destination);
    }

    [Fact]
    public async Task ATlsReader_IsRefusedByAPlainListener()
    {
        using var pair = new DataPlanePair(DataPlaneTransport.Tcp, TimeSpan.FromSeconds(3), readerCertificate: Cluster);
        var (_, block, _) = pair.Publish(1000, tag: 1);
        var error = await Assert.ThrowsAsync<DataPlaneException>(async () => await pair.Reader.ReadAsync(block, 0, new float[1000]));
        output.WriteLine(error.Message);
    }

    /// <summary>What a read over TLS allocates once the session is open, both sides counted: printed,
    /// and bounded (SslStream's own bookkeeping; plain TCP stays near zero, DataPlaneTransportTests).</summary>
    [Fact]
    public async Task SteadyStateReads_OverTls_AllocateLittle()
    {
        using var pair = new DataPlanePair(DataPlaneTransport.Tcp, ownerCertificate: Cluster);
        var (_, block, _) = pair.Publish(269_322, tag: 1);
        var destination = GC.AllocateUninitializedArray<float>(block.Length, pinned: true);
        for (var i = 0; i < 50; i++)
        {
            await pair.Reader.ReadAsync(block, 0, destination);
        }
        const int Reads = 200;
        var before = GC.GetTotalAllocatedBytes(precise: true);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (var i = 0; i < Reads; i++)
        {
            await pair.Reader.ReadAsync(block, 0, destination);
        }
        var perRead = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)Reads;
        output.WriteLine($"TLS: {perRead:F1} bytes allocated per read of 1 MB, {clock.Elapsed.TotalMilliseconds / Reads:F2} ms per read");
        Assert.True(perRead < 4096, $"{perRead:F0} bytes allocated per read");
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }
        Assert.True(condition(), "the listener logged no refusal");
    }
}
