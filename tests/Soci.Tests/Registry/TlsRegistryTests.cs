namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>
/// psoci against a registry on 127.0.0.1 that speaks only HTTPS with a certificate from a test CA: reached through
/// containerd's hosts.toml (<c>--hosts-dir</c>) or <c>--insecure</c>; a loopback registry is plain HTTP only when
/// nothing says TLS.
/// </summary>
public sealed class TlsRegistryTests(TlsLoopbackRegistry registry) : IClassFixture<TlsLoopbackRegistry>, IDisposable
{
    private readonly string _hostsDir = Directory.CreateTempSubdirectory("psoci-hosts-").FullName;

    public void Dispose() => Directory.Delete(_hostsDir, recursive: true);

    [Fact]
    public async Task Convert_HostsTomlWithHttpsServerAndCa_ReachesTheTlsRegistry()
    {
        WriteHostsToml($"""
            server = "https://{registry.Host}"
            ca = "{registry.CaFile}"
            """);
        string target = $"{registry.Host}/tls/busybox:server";

        Psoci.Result convert = await Psoci.RunAsync("convert", registry.Image, target, "--hosts-dir", _hostsDir, "--min-layer-size", "0");
        Psoci.Result list = await Psoci.RunAsync("ztoc", "list", target, "--hosts-dir", _hostsDir);

        Assert.True(convert.ExitCode == 0, convert.ToString());
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("sha256:", list.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ZtocList_HostsTomlWithOnlyCa_MeansHttpsEvenOnLoopback()
    {
        WriteHostsToml($"""
            ca = "{registry.CaFile}"
            """);
        string target = $"{registry.Host}/tls/busybox:ca-only";

        Psoci.Result convert = await Psoci.RunAsync("convert", registry.Image, target, "--hosts-dir", _hostsDir, "--min-layer-size", "0");

        Assert.True(convert.ExitCode == 0, convert.ToString());
    }

    [Fact]
    public async Task Convert_Insecure_SkipsCertificateVerification()
    {
        string target = $"{registry.Host}/tls/busybox:insecure";

        Psoci.Result convert = await Psoci.RunAsync("convert", registry.Image, target, "--insecure", "--min-layer-size", "0");

        Assert.True(convert.ExitCode == 0, convert.ToString());
    }

    [Fact]
    public async Task IndexList_HttpsWithoutTrustingTheCa_FailsOnTheCertificate()
    {
        WriteHostsToml($"""
            server = "https://{registry.Host}"
            """);

        Psoci.Result list = await Psoci.RunAsync("index", "list", registry.Image, "--hosts-dir", _hostsDir);

        Assert.True(list.ExitCode != 0, list.ToString());
        Assert.Contains("certificate", list.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("   at ", list.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IndexList_NoHostsToml_LoopbackIsPlainHttpAndFails()
    {
        Psoci.Result list = await Psoci.RunAsync("index", "list", registry.Image, "--hosts-dir", _hostsDir);

        Assert.True(list.ExitCode != 0, list.ToString());
    }

    [Fact]
    public async Task AnyCommand_PlainHttpWithInsecure_IsRefused()
    {
        Psoci.Result list = await Psoci.RunAsync("index", "list", registry.Image, "--plain-http", "--insecure");

        Assert.True(list.ExitCode != 0, list.ToString());
        Assert.Contains("--plain-http and --insecure", list.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AnyCommand_MissingHostsDir_IsRefused()
    {
        Psoci.Result list = await Psoci.RunAsync("index", "list", registry.Image, "--hosts-dir", Path.Combine(_hostsDir, "nope"));

        Assert.True(list.ExitCode != 0, list.ToString());
        Assert.Contains("--hosts-dir", list.Stderr, StringComparison.Ordinal);
    }

    private void WriteHostsToml(string toml)
    {
        string dir = Directory.CreateDirectory(Path.Combine(_hostsDir, registry.Host)).FullName;
        File.WriteAllText(Path.Combine(dir, "hosts.toml"), toml);
    }
}
