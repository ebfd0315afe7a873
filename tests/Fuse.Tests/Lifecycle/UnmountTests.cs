using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>Unmounting with files open, and refusing a bad root (root only).</summary>
public sealed class UnmountTests
{
    [RootOnlyFact]
    public async Task Unmount_FileOpen_NormalIsBusyLazyDetachesAndFileStaysReadable()
    {
        var root = new MemoryDirectory();
        root.AddFile("open.txt", "still here"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, new FuseMountOptions { KeepCache = false });
        using FileStream open = File.OpenRead(mount.PathOf("open.txt"));

        IOException busy = await Assert.ThrowsAsync<IOException>(() => mount.Mount.UnmountAsync(UnmountMode.Normal, CancellationToken.None));
        await mount.Mount.UnmountAsync(UnmountMode.Lazy, CancellationToken.None);

        Assert.Contains("busy", busy.Message, StringComparison.OrdinalIgnoreCase);
        Assert.False(FuseMountCleanupProbe.IsMounted(mount.Root));
        Assert.False(mount.Mount.Completion.IsCompleted);
        var buffer = new byte[64];
        Assert.Equal("still here", System.Text.Encoding.UTF8.GetString(buffer, 0, open.Read(buffer)));
        open.Dispose();
        await mount.Mount.Completion.WaitAsync(Tool.HangLimit);
    }

    [RootOnlyFact]
    public async Task Unmount_ForceWithFileOpen_EndsSessionAndOpenFileFails()
    {
        var root = new MemoryDirectory();
        root.AddFile("open.txt", "content"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, new FuseMountOptions { KeepCache = false });
        using FileStream open = File.OpenRead(mount.PathOf("open.txt"));

        await mount.Mount.UnmountAsync(UnmountMode.Force, CancellationToken.None);

        Assert.True(mount.Mount.Completion.IsCompleted);
        Assert.False(FuseMountCleanupProbe.IsMounted(mount.Root));
        Assert.ThrowsAny<IOException>(() => open.Read(new byte[16]));
    }

    [RootOnlyFact]
    public async Task Dispose_FileStillOpen_UnmountsAnyway()
    {
        var root = new MemoryDirectory();
        root.AddFile("open.txt", "content"u8.ToArray());
        TestMount mount = await TestMount.StartAsync(root);
        using FileStream open = File.OpenRead(mount.PathOf("open.txt"));

        await mount.DisposeAsync();

        Assert.True(mount.Mount.Completion.IsCompleted);
        Assert.False(FuseMountCleanupProbe.IsMounted(mount.Root));
    }

    [RootOnlyFact]
    public async Task Mount_RootIsAFile_ThrowsArgumentException()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-");
        try
        {
            await Assert.ThrowsAsync<ArgumentException>(() =>
                FuseMount.MountAsync(directory.FullName, new MemoryFile(Array.Empty<byte>()), null, null, CancellationToken.None));
            Assert.False(FuseMountCleanupProbe.IsMounted(directory.FullName));
        }
        finally
        {
            directory.Delete();
        }
    }
}
