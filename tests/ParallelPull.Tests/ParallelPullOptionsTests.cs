using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests;

/// <summary>The settings: SOCI's names and defaults, every error listed at once, decompressors checked at startup.</summary>
public sealed class ParallelPullOptionsTests
{
    [Fact]
    public void From_NoSettings_HasSocisDefaults()
    {
        var options = ParallelPullOptions.From(Settings([]));

        Assert.Equal((-1, 3, -1, 1, false), (options.MaxConcurrentDownloads, options.MaxConcurrentDownloadsPerImage,
            options.MaxConcurrentUnpacks, options.MaxConcurrentUnpacksPerImage, options.DiscardUnpackedLayers));
        Assert.Null(options.ChunkBytes);
        Assert.Empty(options.DecompressStreams);
    }

    [Theory]
    [InlineData("8mb", 8L * 1024 * 1024)]
    [InlineData("512KB", 512L * 1024)]
    [InlineData("1.5 gb", 3L * 512 * 1024 * 1024)]
    [InlineData("4096", 4096L)]
    public void ChunkBytes_SociSizeSyntax_IsParsed(string text, long expected)
    {
        var options = ParallelPullOptions.From(Settings(new() { ["concurrent_download_chunk_size"] = text }));

        Assert.Equal(expected, options.ChunkBytes);
    }

    [Fact]
    public void From_SeveralBadValues_ListsEveryError()
    {
        var error = Assert.Throws<PluginSettingsException>(() => ParallelPullOptions.From(Settings(new()
        {
            ["max_concurrent_downloads"] = "2",
            ["max_concurrent_downloads_per_image"] = "5",
            ["max_concurrent_unpacks"] = "0",
            ["concurrent_download_chunk_size"] = "eight megabytes",
            ["decompress_streams:gzip:path"] = "unpigz",
            ["decompress_streams:brotli:path"] = "/usr/bin/brotli",
        })));

        Assert.Contains("max_concurrent_downloads_per_image: 5 must not exceed max_concurrent_downloads (2)", error.Message);
        Assert.Contains("max_concurrent_unpacks: must be positive", error.Message);
        Assert.Contains("concurrent_download_chunk_size: 'eight megabytes'", error.Message);
        Assert.Contains("decompress_streams.gzip.path: 'unpigz' must be an absolute path", error.Message);
        Assert.Contains("unknown compression 'brotli'", error.Message);
        Assert.Contains(error.Errors, e => e.Key == "decompress_streams:gzip:path");
    }

    [Fact]
    public void ConfigureServices_DecompressorMissing_FailsNamingIt()
    {
        var context = new PluginContext
        {
            Name = "parallel-pull",
            Settings = Settings(new() { ["decompress_streams:zstd:path"] = "/nonexistent/zstd-decoder" }),
            SnapshotterRoot = "/nonexistent",
            StateDirectory = "/nonexistent/plugins/parallel-pull",
        };

        var error = Assert.Throws<PluginSettingsException>(() => new ParallelPullPlugin().ConfigureServices(new ServiceCollection(), context));

        Assert.Contains("decompress_streams.zstd.path: '/nonexistent/zstd-decoder' does not exist", error.Message);
    }

    [Fact]
    public void From_ExistingDecompressorWithArguments_BindsThem()
    {
        var options = ParallelPullOptions.From(Settings(new()
        {
            ["decompress_streams:gzip:path"] = "/usr/bin/unpigz",
            ["decompress_streams:gzip:args:0"] = "-d",
            ["decompress_streams:gzip:args:1"] = "-c",
        }));

        Assert.Equal(["-d", "-c"], options.DecompressStreams["gzip"].Args);
    }

    [Theory]
    [InlineData("max_concurent_downloads", "3", "max_concurent_downloads", "unknown key")]
    [InlineData("docker_confg", "/root/.docker/config.json", "docker_confg", "unknown key")]
    [InlineData("decompress_streams:gzip:pth", "/usr/bin/unpigz", "decompress_streams:gzip:pth", "unknown key 'pth'")]
    [InlineData("chunk_attempts", "many", "chunk_attempts", "'many' is not a whole number")]
    [InlineData("discard_unpacked_layers", "perhaps", "discard_unpacked_layers", "'perhaps' is not true or false")]
    [InlineData("insecure_hosts", "localhost:5000", "insecure_hosts", "must be a list")]
    public void From_MistypedKeyOrValue_IsRefusedAtItsKey(string key, string value, string errorKey, string message)
    {
        var error = Assert.Throws<PluginSettingsException>(() => ParallelPullOptions.From(Settings(new() { [key] = value })));

        Assert.Contains(error.Errors, e => e.Key == errorKey && e.Message.Contains(message, StringComparison.Ordinal));
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
