using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>
/// The loopback registry over HTTPS only, with a certificate for 127.0.0.1 from a CA made for the test run
/// (<see cref="CaFile"/>, PEM). Nothing trusts that CA unless told to.
/// </summary>
public sealed class TlsLoopbackRegistry : LoopbackRegistry
{
    public string CaFile => Path.Combine(Root, "tls", "ca.pem");

    private string CertificateFile => Path.Combine(Root, "tls", "server.pem");

    private string KeyFile => Path.Combine(Root, "tls", "server-key.pem");

    protected override string Scheme => "https";

    protected override string HttpSettings => $"""
          tls:
            certificate: {CertificateFile}
            key: {KeyFile}
        """;

    protected override void Prepare()
    {
        Directory.CreateDirectory(Path.Combine(Root, "tls"));
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=psoci test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, false));
        using var ca = caRequest.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new System.Security.Cryptography.Oid("1.3.6.1.5.5.7.3.1")], false));
        using var certificate = request.Create(ca, now.AddDays(-1), now.AddDays(1), RandomNumberGenerator.GetBytes(16));

        File.WriteAllText(CaFile, ca.ExportCertificatePem());
        File.WriteAllText(CertificateFile, certificate.ExportCertificatePem());
        File.WriteAllText(KeyFile, key.ExportPkcs8PrivateKeyPem());
    }
}
