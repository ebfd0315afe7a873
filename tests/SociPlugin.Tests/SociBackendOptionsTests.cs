using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class SociBackendOptionsTests
{
    [Fact]
    public void From_EmptySettings_UsesSociDefaultsV2OnV1Off()
    {
        var options = SociBackendOptions.From(Settings([]));

        Assert.True(options.PullModes.SociV2.Enable);
        Assert.False(options.PullModes.SociV1.Enable);
        Assert.Equal(64, options.Cache.MaxLruCacheEntry);
    }

    [Fact]
    public void From_SnakeCaseSettings_AreBound()
    {
        var options = SociBackendOptions.From(Settings(new()
        {
            ["pull_modes:soci_v1:enable"] = "true",
            ["pull_modes:soci_v2:enable"] = "false",
            ["fuse:attr_timeout"] = "5",
            ["directory_cache:max_lru_cache_entry"] = "10",
            ["userxattr"] = "true",
        }));

        Assert.True(options.PullModes.SociV1.Enable);
        Assert.False(options.PullModes.SociV2.Enable);
        Assert.Equal(5, options.Fuse.AttrTimeout);
        Assert.Equal(10, options.Cache.MaxLruCacheEntry);
        Assert.True(options.UserXattr);
    }

    [Fact]
    public void From_ZeroCacheEntries_ThrowsNamingTheSetting()
    {
        var error = Assert.Throws<PluginSettingsException>(() => SociBackendOptions.From(Settings(new() { ["directory_cache:max_lru_cache_entry"] = "0" })));

        Assert.Contains("max_lru_cache_entry", error.Message, StringComparison.Ordinal);
        Assert.Equal("directory_cache:max_lru_cache_entry", Assert.Single(error.Errors).Key);
    }

    [Theory]
    [InlineData(null, "true", "0", false, false)] // the fill unpacks the layer: no third copy of what the reads decompressed
    [InlineData(null, "false", "0", false, true)] // no fill: the kept spans are the only local copy
    [InlineData(null, "true", "1048576", false, true)] // a capped fill takes its time
    [InlineData(null, "true", "0", true, true)] // this layer's fill failed
    [InlineData("true", "true", "0", false, true)]
    [InlineData("false", "false", "0", true, false)]
    public void KeepsDecompressed_FollowsTheSettingElseWhetherAFillWillMakeTheLayerLocal(string? keep, string fill, string cap, bool failed, bool kept)
    {
        var values = new Dictionary<string, string?> { ["background_fill:enable"] = fill, ["background_fill:max_bytes_per_second"] = cap };
        if (keep is not null) values["directory_cache:keep_decompressed"] = keep;
        var options = SociBackendOptions.From(Settings(values));

        Assert.Equal(kept, options.Cache.KeepsDecompressed(options.BackgroundFill, () => failed));
    }

    [Theory]
    [InlineData("pull_mode:soci_v1:enable", "true", "pull_mode")]
    [InlineData("pull_modes:soci_v3:enable", "true", "pull_modes:soci_v3")]
    [InlineData("fuse:attr_timout", "1", "fuse:attr_timout")]
    public void From_UnknownKey_IsRefusedAtItsPath(string key, string value, string errorKey)
    {
        var error = Assert.Throws<PluginSettingsException>(() => SociBackendOptions.From(Settings(new() { [key] = value })));

        var only = Assert.Single(error.Errors);
        Assert.Equal(errorKey, only.Key);
        Assert.Contains("unknown key", only.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
