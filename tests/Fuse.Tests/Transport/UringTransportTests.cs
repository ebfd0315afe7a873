using System.Security.Cryptography;
using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;

namespace PluggableSnapshotter.Fuse.Tests.Transport;

/// <summary>The server over FUSE-over-io_uring queues, with real tools (root; Linux 6.14+ with CONFIG_FUSE_IO_URING).</summary>
[Collection(KernelUringCollection.Name)]
public sealed class UringTransportTests
{
    private static readonly FuseMountOptions Uring = new() { Transport = FuseTransport.IoUring, KeepCache = false };

    [Fact]
    public async Task Tools_OverIoUring_SeeTheTreeByteForByte()
    {
        var big = new byte[3 * 1024 * 1024 + 123];
        new Random(5).NextBytes(big);
        var root = new MemoryDirectory();
        root.AddFile("big", big);
        root.Add("copied", new CopyingFile(big));
        MemoryDirectory sub = root.AddDirectory("sub");
        sub.AddFile("note", "hello over the ring\n"u8.ToArray()).SetXattr("user.origin", "ring");
        root.AddSymlink("link", "sub/note");
        await using TestMount mount = await TestMount.StartAsync(root, Uring);

        string sums = await Tool.CheckedAsync("sha256sum", mount.PathOf("big"), mount.PathOf("copied"));
        string note = await Tool.CheckedAsync("cat", mount.PathOf("link"));
        string listing = await Tool.CheckedAsync("ls", "-1", mount.PathOf("sub"));
        string xattr = await Tool.CheckedAsync("getfattr", "--only-values", "-n", "user.origin", mount.PathOf("sub/note"));
        string size = await Tool.CheckedAsync("stat", "-c", "%s", mount.PathOf("big"));

        Assert.Equal(FuseTransport.IoUring, mount.Mount.ActiveTransport);
        string expected = Convert.ToHexStringLower(SHA256.HashData(big));
        Assert.Equal(2, sums.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.StartsWith(expected, StringComparison.Ordinal)));
        Assert.Equal("hello over the ring\n", note);
        Assert.Equal("note\n", listing);
        Assert.Equal("ring", xattr);
        Assert.Equal($"{big.Length}\n", size);
    }

    [Fact]
    public async Task ReadInParallel_OverIoUring_EachReaderGetsTheWholeFile()
    {
        var content = new byte[8 * 1024 * 1024 + 777];
        new Random(13).NextBytes(content);
        var root = new MemoryDirectory();
        for (int i = 0; i < 4; i++)
        {
            root.AddFile($"file{i}", content);
        }

        await using TestMount mount = await TestMount.StartAsync(root, Uring);
        byte[][] hashes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await using FileStream stream = File.OpenRead(mount.PathOf($"file{i % 4}"));
            return await SHA256.HashDataAsync(stream);
        })));

        Assert.All(hashes, hash => Assert.Equal(SHA256.HashData(content), hash));
    }

    [Fact]
    public async Task Stat_WhileAnotherFileReadBlocksOverIoUring_Completes()
    {
        var root = new MemoryDirectory();
        GatedFile slow = root.Add("slow", new GatedFile("slow content"u8.ToArray()));
        root.AddDirectory("other").AddFile("fast", "fast"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, Uring with { AttributeTimeout = TimeSpan.Zero, EntryTimeout = TimeSpan.Zero });

        using System.Diagnostics.Process reader = Tool.Start("cat", mount.PathOf("slow"));
        await slow.Entered.Task.WaitAsync(Tool.HangLimit);
        ProcessResult stat = await Tool.RunAsync("stat", "-c", "%s", mount.PathOf("other/fast"));

        Assert.False(reader.HasExited);
        Assert.Equal("4\n", stat.Text);
        slow.Release();
        Assert.Equal("slow content", (await Tool.WaitAsync(reader)).Text);
    }

    [Fact]
    public async Task KillInt_ReaderWaitingOverIoUring_CancelsTokenAndReaderSeesEintr()
    {
        var root = new MemoryDirectory();
        GatedFile stuck = root.Add("stuck", new GatedFile(new byte[8192]));
        await using TestMount mount = await TestMount.StartAsync(root, Uring);

        // The request waits in a ring entry; INTERRUPT still comes through /dev/fuse and must find it.
        using System.Diagnostics.Process reader = Tool.Start("python3", "-c", DirectReadScript.Source, mount.PathOf("stuck"));
        reader.StandardInput.Close();
        Assert.Equal("reading", await reader.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit));
        await stuck.Entered.Task.WaitAsync(Tool.HangLimit);
        await Tool.CheckedAsync("kill", "-INT", reader.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await stuck.Cancelled.Task.WaitAsync(Tool.HangLimit);
        Assert.Equal("result -1 4\n", (await Tool.WaitAsync(reader)).Text); // EINTR
    }

    [Fact]
    public async Task Unmount_OverIoUring_EndsTheSessionAndEveryQueue()
    {
        var root = new MemoryDirectory();
        root.AddFile("file", "content"u8.ToArray());
        TestMount mount = await TestMount.StartAsync(root, Uring);
        string mountPoint = mount.Root;
        Assert.Equal("content", await Tool.CheckedAsync("cat", mount.PathOf("file")));

        await mount.Mount.UnmountAsync(UnmountMode.Normal, CancellationToken.None);
        await mount.Mount.Completion.WaitAsync(Tool.HangLimit);
        await mount.DisposeAsync();

        Assert.False(FuseMountCleanupProbe.IsMounted(mountPoint));
        Assert.DoesNotContain(mount.Logger.Entries, entry => entry.Level >= Microsoft.Extensions.Logging.LogLevel.Warning);
    }

    [Fact]
    public async Task Mount_IoUringRequiredButSwitchedOffInTheKernel_FailsClearlyAndLeavesNothingMounted()
    {
        var root = new MemoryDirectory();
        root.AddFile("file", "content"u8.ToArray());
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-");
        KernelUringSwitch.Set(false);
        try
        {
            NotSupportedException error = await Assert.ThrowsAsync<NotSupportedException>(
                () => FuseMount.MountAsync(directory.FullName, root, Uring, null, CancellationToken.None));

            Assert.Contains("enable_uring", error.Message, StringComparison.Ordinal);
            Assert.False(FuseMountCleanupProbe.IsMounted(directory.FullName));
        }
        finally
        {
            KernelUringSwitch.Set(true);
            directory.Delete();
        }
    }

    [Fact]
    public async Task Mount_AutoWithIoUringSwitchedOn_UsesIoUring()
    {
        var root = new MemoryDirectory();
        root.AddFile("file", "auto"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, new FuseMountOptions { Transport = FuseTransport.Auto });

        Assert.Equal("auto", await Tool.CheckedAsync("cat", mount.PathOf("file")));
        Assert.Equal(FuseTransport.IoUring, mount.Mount.ActiveTransport);
    }
}
