using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>
/// The loopback registry over HTTPS only, with a certificate for 127.0.0.1 from a CA made for the test run
/// (<see cref="CaFile"/>, PEM; see <see cref="LoopbackCertificates"/>). Nothing trusts that CA unless told to.
/// </summary>
public sealed class TlsLoopbackRegistry : LoopbackRegistry
{
    private LoopbackCertificates? _certificates;

    public string CaFile => Certificates.CaFile;

    private LoopbackCertificates Certificates =>
        _certificates ?? throw new InvalidOperationException("the registry's certificates are made when it starts");

    protected override string Scheme => "https";

    protected override string HttpSettings => $"""
          tls:
            certificate: {Certificates.CertificateFile}
            key: {Certificates.KeyFile}
        """;

    protected override void Prepare() => _certificates = LoopbackCertificates.Create(Path.Combine(Root, "tls"));
}
