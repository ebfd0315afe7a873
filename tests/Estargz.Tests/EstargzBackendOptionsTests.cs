using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

public sealed class EstargzBackendOptionsTests
{
    [Fact]
    public void From_NoSettings_PrefetchesLaterTocsUnder64MiB()
    {
        var options = EstargzBackendOptions.From(Settings([]));

        Assert.True(options.Prefetch.NextTocs);
        Assert.Equal(64L * 1024 * 1024, options.Prefetch.TocMaxBytes);
    }

    [Fact]
    public void From_NextTocsOffAndBound_AreRead()
    {
        var options = EstargzBackendOptions.From(Settings(new() { ["prefetch:next_tocs"] = "false", ["prefetch:toc_max_bytes"] = "1048576" }));

        Assert.False(options.Prefetch.NextTocs);
        Assert.Equal(1048576, options.Prefetch.TocMaxBytes);
    }

    [Fact]
    public void From_NegativeTocBound_IsRefusedAtItsKey()
    {
        var error = Assert.Throws<PluginSettingsException>(() => EstargzBackendOptions.From(Settings(new() { ["prefetch:toc_max_bytes"] = "-1" })));

        Assert.Contains(error.Errors, e => e.Key == "prefetch:toc_max_bytes");
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
