using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Fuse.Tests.Overlay;

/// <summary>
/// The FUSE mount as an overlayfs lower layer: its 0:0 character devices and trusted.overlay.opaque directories must
/// hide content of the layers below, as a containerd snapshot's layers do (root only).
/// </summary>
public sealed class OverlayLowerLayerTests
{
    [RootOnlyFact]
    public async Task OverlayMount_FuseLayerWithWhiteoutAndOpaqueDirectory_AppliesThem()
    {
        await using TmpfsDirectory scratch = await TmpfsDirectory.CreateAsync("fuse", CancellationToken.None, "64m");
        string bottom = Directory.CreateDirectory(Path.Combine(scratch.Path, "bottom")).FullName;
        File.WriteAllText(Path.Combine(bottom, "deleted.txt"), "must be hidden");
        File.WriteAllText(Path.Combine(bottom, "kept.txt"), "kept");
        Directory.CreateDirectory(Path.Combine(bottom, "opaque"));
        File.WriteAllText(Path.Combine(bottom, "opaque", "old.txt"), "must be hidden");
        Directory.CreateDirectory(Path.Combine(bottom, "merged"));
        File.WriteAllText(Path.Combine(bottom, "merged", "from-bottom.txt"), "bottom");

        var layer = new MemoryDirectory();
        layer.AddWhiteout("deleted.txt");
        MemoryDirectory opaque = layer.AddDirectory("opaque");
        opaque.SetXattr("trusted.overlay.opaque", "y");
        opaque.AddFile("new.txt", "new"u8.ToArray());
        layer.AddDirectory("merged").AddFile("from-fuse.txt", "fuse"u8.ToArray());
        await using TestMount fuse = await TestMount.StartAsync(layer);

        string upper = Directory.CreateDirectory(Path.Combine(scratch.Path, "upper")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(scratch.Path, "work")).FullName;
        string target = Directory.CreateDirectory(Path.Combine(scratch.Path, "target")).FullName;
        await Tool.CheckedAsync("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={fuse.Root}:{bottom},upperdir={upper},workdir={work}", target);
        try
        {
            Assert.Equal("c 0:0\n", await Tool.CheckedAsync("stat", "-c", "%F %t:%T", fuse.PathOf("deleted.txt")).ContinueWith(t => t.Result.Replace("character special file", "c", StringComparison.Ordinal)));
            Assert.Equal(["kept.txt", "merged", "opaque"], Names(target));
            Assert.Equal(["new.txt"], Names(Path.Combine(target, "opaque")));
            Assert.Equal(["from-bottom.txt", "from-fuse.txt"], Names(Path.Combine(target, "merged")));
            Assert.Equal("new", File.ReadAllText(Path.Combine(target, "opaque", "new.txt")));
            Assert.False(File.Exists(Path.Combine(target, "deleted.txt")));
        }
        finally
        {
            await Tool.RunAsync("umount", target);
        }
    }

    private static string[] Names(string directory) =>
        Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
}
