using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Fuse.Tests.Passthrough;

/// <summary>FUSE passthrough of nodes with a local backing file (root; Linux 6.9+ with CONFIG_FUSE_PASSTHROUGH).</summary>
public sealed class PassthroughTests
{
    private static readonly FuseMountOptions WithPassthrough = new() { Passthrough = true };

    private const string HoldOpen = """
        import sys
        f = open(sys.argv[1], "rb")
        print(len(f.read(4)), flush=True)
        sys.stdin.readline()
        """;

    private static byte[] RandomContent(int seed)
    {
        var content = new byte[2 * 1024 * 1024 + 99];
        new Random(seed).NextBytes(content);
        return content;
    }

    /// <summary>Random content written to a local file, and a tree whose "file" node offers that file.</summary>
    private static async Task<(byte[] Content, MemoryDirectory Root, BackedFile File)> BackedTreeAsync(string localDirectory, int seed)
    {
        byte[] content = RandomContent(seed);
        string backingPath = Path.Combine(localDirectory, "layer-file");
        await File.WriteAllBytesAsync(backingPath, content);
        var root = new MemoryDirectory();
        BackedFile file = root.Add("file", new BackedFile(content) { BackingPath = backingPath });
        return (content, root, file);
    }

    [RootOnlyFact]
    public async Task Read_NodeWithLocalFile_IsServedByTheKernelWithoutReadRequests()
    {
        await using TmpfsDirectory local = await TmpfsDirectory.CreateAsync("fuse", CancellationToken.None, "64m");
        (byte[] content, MemoryDirectory root, BackedFile file) = await BackedTreeAsync(local.Path, seed: 1);
        await using TestMount mount = await TestMount.StartAsync(root, WithPassthrough);

        string sum = await Tool.CheckedAsync("sha256sum", mount.PathOf("file"));
        string tail = await Tool.CheckedAsync("/bin/sh", "-c", $"dd if={mount.PathOf("file")} bs=1 skip={content.Length - 5} status=none | od -An -tx1");

        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(content)), sum, StringComparison.Ordinal);
        Assert.Equal(string.Join(' ', content[^5..].Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture))), tail.Trim());
        Assert.Equal(0, file.ReadRequests);
    }

    [RootOnlyFact]
    public async Task Read_BackingFileOnAStackedFileSystem_IsServedThroughReadWithOneWarning()
    {
        await using TmpfsDirectory local = await TmpfsDirectory.CreateAsync("fuse", CancellationToken.None, "64m");
        string lower = Directory.CreateDirectory(Path.Combine(local.Path, "lower")).FullName;
        string upper = Directory.CreateDirectory(Path.Combine(local.Path, "upper")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(local.Path, "work")).FullName;
        string merged = Directory.CreateDirectory(Path.Combine(local.Path, "merged")).FullName;
        byte[] content = RandomContent(2);
        await File.WriteAllBytesAsync(Path.Combine(lower, "layer-file"), content);
        await Tool.CheckedAsync("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={lower},upperdir={upper},workdir={work}", merged);
        try
        {
            var root = new MemoryDirectory();
            BackedFile file = root.Add("file", new BackedFile(content) { BackingPath = Path.Combine(merged, "layer-file") });
            await using TestMount mount = await TestMount.StartAsync(root, WithPassthrough with { KeepCache = false });

            string first = await Tool.CheckedAsync("sha256sum", mount.PathOf("file"));
            string second = await Tool.CheckedAsync("sha256sum", mount.PathOf("file"));

            string expected = Convert.ToHexStringLower(SHA256.HashData(content));
            Assert.StartsWith(expected, first, StringComparison.Ordinal);
            Assert.StartsWith(expected, second, StringComparison.Ordinal);
            Assert.True(file.ReadRequests > 0);
            Assert.Single(mount.Logger.Entries, entry => entry.Level == LogLevel.Warning && entry.Message.Contains("passthrough", StringComparison.Ordinal));
        }
        finally
        {
            await Tool.RunAsync("umount", "-l", merged);
        }
    }

    [RootOnlyFact]
    public async Task Open_WhileAnOpenIsServedThroughRead_StaysThroughReadUntilItCloses()
    {
        await using TmpfsDirectory local = await TmpfsDirectory.CreateAsync("fuse", CancellationToken.None, "64m");
        (byte[] content, MemoryDirectory root, BackedFile file) = await BackedTreeAsync(local.Path, seed: 3);
        string backingPath = file.BackingPath!;
        file.BackingPath = null;
        await using TestMount mount = await TestMount.StartAsync(root, WithPassthrough with { KeepCache = false });
        string expected = Convert.ToHexStringLower(SHA256.HashData(content));

        // Not local yet: the first open is served through READ and stays open.
        using System.Diagnostics.Process holder = Tool.Start("python3", "-c", HoldOpen, mount.PathOf("file"));
        Assert.NotNull(await holder.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit));
        file.BackingPath = backingPath;
        int readsBefore = file.ReadRequests;
        string whileHeld = await Tool.CheckedAsync("sha256sum", mount.PathOf("file"));
        int readsWhileHeld = file.ReadRequests - readsBefore;
        holder.StandardInput.WriteLine();
        await Tool.WaitAsync(holder);

        readsBefore = file.ReadRequests;
        string afterwards = await Tool.CheckedAsync("sha256sum", mount.PathOf("file"));

        Assert.StartsWith(expected, whileHeld, StringComparison.Ordinal);
        Assert.True(readsWhileHeld > 0); // the kernel refuses to mix passthrough and cached opens of one inode
        Assert.StartsWith(expected, afterwards, StringComparison.Ordinal);
        Assert.Equal(readsBefore, file.ReadRequests);
    }

    [RootOnlyFact]
    public async Task Overlayfs_OnAPassthroughMount_ReadsTheBackedFile()
    {
        await using TmpfsDirectory local = await TmpfsDirectory.CreateAsync("fuse", CancellationToken.None, "64m");
        (byte[] content, MemoryDirectory root, BackedFile file) = await BackedTreeAsync(local.Path, seed: 4);
        await using TestMount mount = await TestMount.StartAsync(root, WithPassthrough);
        string upper = Directory.CreateDirectory(Path.Combine(local.Path, "upper")).FullName;
        string work = Directory.CreateDirectory(Path.Combine(local.Path, "work")).FullName;
        string merged = Directory.CreateDirectory(Path.Combine(local.Path, "merged")).FullName;
        await Tool.CheckedAsync("mount", "-t", "overlay", "overlay", "-o", $"lowerdir={mount.Root},upperdir={upper},workdir={work}", merged);
        try
        {
            string sum = await Tool.CheckedAsync("sha256sum", Path.Combine(merged, "file"));

            Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(content)), sum, StringComparison.Ordinal);
            Assert.Equal(0, file.ReadRequests);
        }
        finally
        {
            await Tool.RunAsync("umount", "-l", merged);
        }
    }
}
