using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace DistTrain.Distributed.Tests.Infrastructure;

/// <summary>Self-signed cluster certificates made by the tests (server and client authentication).</summary>
internal static class TestCertificates
{
    /// <summary>A certificate with its key, as a password-protected PKCS#12 file at <paramref name="path"/>.</summary>
    public static string WritePkcs12(string path, string name, string password)
    {
        using var certificate = CreateSelfSigned(name);
        File.WriteAllBytes(path, certificate.Export(X509ContentType.Pkcs12, password));
        return path;
    }

    /// <summary>A certificate with its key, loaded as a silo loads its file (so TLS can use the key).</summary>
    public static X509Certificate2 Create(string name)
    {
        using var certificate = CreateSelfSigned(name);
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12, "test"), "test");
    }

    private static X509Certificate2 CreateSelfSigned(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], critical: false)); // server and client auth
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
    }
}
