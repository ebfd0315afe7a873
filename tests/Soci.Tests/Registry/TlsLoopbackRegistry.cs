using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>
/// The loopback registry over HTTPS only, with a certificate for 127.0.0.1 from a CA made for the test run
/// (<see cref="CaFile"/>, PEM; see <see cref="LoopbackCertificates"/>). Nothing trusts that CA unless told to.
/// </summary>
public sealed class TlsLoopbackRegistry : LoopbackRegistry
{
    public string CaFile => Registry.Certificates!.CaFile;

    protected override bool Tls => true;
}
