using Microsoft.Extensions.Configuration;

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
    public void From_ZeroCacheEntries_ThrowsInvalidDataNamingTheSetting()
    {
        var error = Assert.Throws<InvalidDataException>(() => SociBackendOptions.From(Settings(new() { ["directory_cache:max_lru_cache_entry"] = "0" })));

        Assert.Contains("max_lru_cache_entry", error.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
