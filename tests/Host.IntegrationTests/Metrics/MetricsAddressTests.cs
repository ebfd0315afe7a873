using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Host.Metrics;

namespace PluggableSnapshotter.Host.IntegrationTests.Metrics;

/// <summary>metrics_address: host:port on loopback or unix:/path, anything else refused with the reason.</summary>
public sealed class MetricsAddressTests
{
    [Theory]
    [InlineData("127.0.0.1:9102", "127.0.0.1:9102")]
    [InlineData("localhost:9102", "127.0.0.1:9102")]
    [InlineData("[::1]:9102", "[::1]:9102")]
    [InlineData("unix:/run/pluggable-snapshotter/metrics.sock", "unix:/run/pluggable-snapshotter/metrics.sock")]
    public void TryParse_LoopbackOrUnix_Parses(string text, string expected)
    {
        var address = MetricsAddress.TryParse(text, out var error);

        Assert.Null(error);
        Assert.Equal(expected, address!.ToString());
    }

    [Theory]
    [InlineData("0.0.0.0:9102", "loopback")]
    [InlineData("10.1.2.3:9102", "loopback")]
    [InlineData("metrics.example:9102", "loopback")]
    [InlineData("127.0.0.1", "host:port")]
    [InlineData("127.0.0.1:0", "host:port")]
    [InlineData("unix:relative.sock", "absolute")]
    public void TryParse_Other_RefusedWithReason(string text, string reason)
    {
        Assert.Null(MetricsAddress.TryParse(text, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }
}

/// <summary>metrics_address at the top level of plugins.yaml: off unless set, refused at its line when wrong.</summary>
public sealed class MetricsAddressConfigTests
{
    private readonly string _directory = Directory.CreateTempSubdirectory("psnap-metrics-config-").FullName;

    private PluginsConfig Parse(string yaml) => PluginsConfigLoader.Parse(Path.Combine(_directory, "plugins.yaml"), yaml);

    [Fact]
    public void Parse_NoMetricsAddress_MetricsOff() => Assert.Null(Parse("plugins: []\n").MetricsAddress);

    [Fact]
    public void Parse_MetricsAddress_Read() =>
        Assert.Equal("127.0.0.1:9102", Parse("metrics_address: 127.0.0.1:9102\nplugins: []\n").MetricsAddress?.ToString());

    [Fact]
    public void Parse_PublicMetricsAddress_RefusedAtItsLine()
    {
        var error = Assert.Throws<PluginsConfigException>(() => Parse("plugins: []\nmetrics_address: 0.0.0.0:9102\n"));

        Assert.Contains(error.Errors, e => e.StartsWith("line 2:", StringComparison.Ordinal) && e.Contains("loopback", StringComparison.Ordinal));
    }
}
