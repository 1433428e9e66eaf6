using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Orleans.Connections.Security;

namespace DistTrain.Worker.Security;

/// <summary>
/// Mutual TLS with one cluster certificate: every silo and every console holds the same
/// certificate (a PKCS#12 file with its private key) and accepts a peer only when the peer presents
/// that same certificate. Silo-to-silo and client-to-silo connections are encrypted, and a client
/// or silo without the certificate cannot connect at all. (A CA-issued certificate per silo would
/// need chain validation instead of this pin; see deploy/README.md.)
/// </summary>
public static class ClusterTls
{
    /// <summary>Loads the certificate at <paramref name="path"/>, or throws naming the file.</summary>
    public static X509Certificate2 Load(string path, string? password)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"TLS certificate '{path}' does not exist.", path);
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw new InvalidDataException($"TLS certificate '{path}' cannot be read as PKCS#12 (wrong password, or not a .pfx/.p12 file): {e.Message}", e);
        }
        if (!certificate.HasPrivateKey)
        {
            throw new InvalidDataException($"TLS certificate '{path}' has no private key; both ends of a connection need it.");
        }
        return certificate;
    }

    /// <summary>The options both ends use: present <paramref name="certificate"/>, require the peer's,
    /// and accept exactly that certificate.</summary>
    public static void Configure(TlsOptions options, X509Certificate2 certificate)
    {
        options.LocalCertificate = certificate;
        options.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        options.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        var name = NameOf(certificate);
        options.OnAuthenticateAsClient = (_, ssl) => ssl.TargetHost = name;
        options.RemoteCertificateValidation = (remote, _, _) => IsClusterCertificate(remote, certificate);
    }

    /// <summary>Pinned: the peer proves it holds the cluster's private key by presenting exactly its
    /// certificate; names and chains do not matter.</summary>
    public static bool IsClusterCertificate(X509Certificate? remote, X509Certificate2 cluster) =>
        remote is X509Certificate2 presented && presented.RawDataMemory.Span.SequenceEqual(cluster.RawDataMemory.Span);

    /// <summary>The name a client asks for (TLS wants one; the pin, not the name, decides).</summary>
    public static string NameOf(X509Certificate2 certificate) => certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);
}
