using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.TestSupport.Mounts;
using FileStat = PluggableSnapshotter.TestSupport.Rootfs.FileStat;
using PluggableSnapshotter.TestSupport.Tars;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>Archives that try to write outside the layer directory fail clearly and write nothing anywhere (root only).</summary>
public sealed class MaliciousLayerTests : IDisposable
{
    private readonly Tmpfs _tmpfs = new();
    private readonly LayerApplier _applier = new();

    public MaliciousLayerTests()
    {
        Directory.CreateDirectory(_tmpfs.PathOf("outside"));
        File.WriteAllText(_tmpfs.PathOf("outside/secret"), "secret");
        Directory.CreateDirectory(_tmpfs.PathOf("layers"));
    }

    public static TheoryData<string, byte[], string> Archives => new()
    {
        { "dot-dot traversal", new LayerBuilder().File("ok", "x").Raw("../outside/pwned", '0', content: "evil").Tar(), "../outside/pwned" },
        { "nested dot-dot", new LayerBuilder().Raw("a/../../outside/pwned", '0', content: "evil").Tar(), "a/../../outside/pwned" },
        { "absolute path", new LayerBuilder().Raw("/outside/pwned", '0', content: "evil").Tar(), "/outside/pwned" },
        { "symlink parent", new LayerBuilder().Symlink("escape", "../../outside").File("escape/pwned", "evil").Tar(), "escape/pwned" },
        { "absolute symlink parent", new LayerBuilder().Symlink("escape", "/").File("escape/pwned", "evil").Tar(), "escape/pwned" },
        { "hardlink to outside", new LayerBuilder().Raw("stolen", '1', linkName: "../outside/secret").Tar(), "stolen" },
        { "hardlink to absolute", new LayerBuilder().Raw("stolen", '1', linkName: "/etc/passwd").Tar(), "stolen" },
        { "hardlink through symlink", new LayerBuilder().Symlink("s", "../../outside").HardLink("stolen", "s/secret").Tar(), "stolen" },
        { "hardlink to missing", new LayerBuilder().HardLink("stolen", "not/there").Tar(), "stolen" },
    };

    [RootOnlyTheory]
    [MemberData(nameof(Archives))]
    public async Task ApplyAsync_MaliciousArchive_FailsNamingEntryAndWritesNothing(string why, byte[] tar, string entry)
    {
        var target = _tmpfs.PathOf("layers/layer");

        var error = await Assert.ThrowsAsync<InvalidDataException>(() =>
            _applier.ApplyAsync(new MemoryStream(tar), target, new LayerApplyOptions(), CancellationToken.None));

        Assert.Contains($"'{entry}'", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.PathOf("layers"))); // no layer, no staging debris ({why})
        Assert.Equal(["secret"], Directory.EnumerateFileSystemEntries(_tmpfs.PathOf("outside")).Select(Path.GetFileName));
        Assert.Equal("secret", File.ReadAllText(_tmpfs.PathOf("outside/secret")));
        Assert.Equal(1, FileStat.Of(_tmpfs.PathOf("outside/secret")).Links);
        Assert.NotEmpty(why);
    }

    public void Dispose() => _tmpfs.Dispose();
}
