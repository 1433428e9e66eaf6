using DistTrain.Contracts.Payloads;
using DistTrain.Worker.DataPlane;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace DistTrain.Distributed.Tests.DataPlane;

/// <summary>Two silos' data planes in this process, without Orleans: an owner and a reader.</summary>
internal sealed class DataPlanePair : IDisposable
{
    public const string ClusterKey = "test-service/test-cluster";

    /// <param name="ownerCertificate">The owner's cluster certificate (TLS on its listener); null: plain TCP.</param>
    /// <param name="readerCertificate">The reader's; by default the owner's.</param>
    public DataPlanePair(DataPlaneTransport transport, TimeSpan? timeout = null, X509Certificate2? ownerCertificate = null, X509Certificate2? readerCertificate = null,
        ILogger? ownerLog = null)
    {
        Options = new DataPlaneOptions { Transport = transport, IoTimeout = timeout ?? TimeSpan.FromSeconds(5), Certificate = ownerCertificate };
        var readerOptions = new DataPlaneOptions { Transport = transport, IoTimeout = Options.IoTimeout, Certificate = readerCertificate ?? ownerCertificate };
        Owner = new DataPlaneService(Options, ClusterKey, "owner-" + Guid.NewGuid().ToString("N")[..6], ownerLog ?? NullLogger.Instance);
        Reader = new DataPlaneService(readerOptions, ClusterKey, "reader-" + Guid.NewGuid().ToString("N")[..6], NullLogger.Instance);
    }

    public DataPlaneOptions Options { get; }

    public DataPlaneService Owner { get; }

    public DataPlaneService Reader { get; }

    /// <summary>A published block of <paramref name="length"/> known floats, tagged <paramref name="tag"/>.</summary>
    public (Segment Segment, BlockRef Ref, float[] Values) Publish(int length, long tag, bool shared = true, int seed = 1)
    {
        var segment = Owner.Create(length, shared);
        var random = new Random(seed);
        var values = Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        values.CopyTo(segment.Floats);
        segment.Publish(tag);
        return (segment, Owner.RefOf(segment), values);
    }

    public void Dispose()
    {
        Reader.Dispose();
        Owner.Dispose();
    }
}
