using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using DistTrain.Worker.Security;

namespace DistTrain.Worker.DataPlane;

/// <summary>
/// The stream a data-plane connection reads and writes: the socket itself, or, with the cluster
/// certificate, mutual TLS over it pinned to that certificate (<see cref="ClusterTls"/>), so that
/// weights and gradients between hosts are encrypted and only a holder of the cluster's key can ask
/// for a block. The cluster-key hello then runs inside the TLS session.
/// </summary>
internal static class DataPlaneTls
{
    /// <summary>The dialling side's stream over <paramref name="socket"/>, which it owns from now on.</summary>
    public static ValueTask<Stream> ConnectAsync(Socket socket, X509Certificate2? certificate, CancellationToken cancellation) =>
        OverAsync(socket, certificate, (tls, cluster) => tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = ClusterTls.NameOf(cluster),
            ClientCertificates = [cluster],
            // Present the cluster certificate whatever issuers the peer names: it is self-signed.
            LocalCertificateSelectionCallback = (_, _, _, _, _) => cluster,
            RemoteCertificateValidationCallback = (_, remote, _, _) => ClusterTls.IsClusterCertificate(remote, cluster),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }, cancellation));

    /// <summary>The listening side's stream over <paramref name="socket"/>, which it owns from now on.</summary>
    public static ValueTask<Stream> AcceptAsync(Socket socket, X509Certificate2? certificate, CancellationToken cancellation) =>
        OverAsync(socket, certificate, (tls, cluster) => tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
        {
            ServerCertificate = cluster,
            ClientCertificateRequired = true,
            RemoteCertificateValidationCallback = (_, remote, _, _) => ClusterTls.IsClusterCertificate(remote, cluster),
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        }, cancellation));

    /// <summary>The socket's stream, or a TLS session over it once <paramref name="authenticate"/> has
    /// run the handshake; a failed handshake closes the socket.</summary>
    private static async ValueTask<Stream> OverAsync(Socket socket, X509Certificate2? certificate, Func<SslStream, X509Certificate2, Task> authenticate)
    {
        var network = new NetworkStream(socket, ownsSocket: true);
        if (certificate is null)
        {
            return network;
        }
        var tls = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            await authenticate(tls, certificate);
            return tls;
        }
        catch
        {
            await tls.DisposeAsync();
            throw;
        }
    }

    /// <summary>Failures of a handshake: a peer without the certificate, or not speaking TLS.</summary>
    public static bool IsRefusal(Exception e) => e is AuthenticationException;
}
