using System.Security.Cryptography;
using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Transport;

/// <summary>The server over FUSE-over-io_uring queues, with real tools (root; Linux 6.14+ with CONFIG_FUSE_IO_URING).</summary>
[Collection(KernelUringCollection.Name)]
public sealed class UringTransportTests
{
    private static readonly FuseMountOptions Uring = new() { Transport = FuseTransport.IoUring, KeepCache = false };

    [RootOnlyFact]
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

    [RootOnlyFact]
    public Task ReadInParallel_OverIoUring_EachReaderGetsTheWholeFile() => ConcurrencyScenarios.ParallelReadersGetWholeFilesAsync(Uring);

    [RootOnlyFact]
    public Task Stat_WhileAnotherFileReadBlocksOverIoUring_Completes() => ConcurrencyScenarios.StatCompletesWhileReadBlocksAsync(Uring);

    // The request waits in a ring entry; INTERRUPT still comes through /dev/fuse and must find it.
    [RootOnlyFact]
    public Task KillInt_ReaderWaitingOverIoUring_CancelsTokenAndReaderSeesEintr() => ConcurrencyScenarios.InterruptedReaderSeesEintrAsync(Uring);

    [RootOnlyFact]
    public Task Getattr_ThousandsOfStatsOverIoUring_AllocateNothingPerRequest() => AllocationScenarios.GetattrAllocatesNothingAsync(Uring);

    [RootOnlyTheory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Read_ManyDirectReadsOverIoUring_AllocateNothingPerRequest(bool copying) => AllocationScenarios.ReadAllocatesNothingAsync(Uring, copying);

    [RootOnlyFact]
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

    [RootOnlyFact]
    public async Task Mount_WhileCallersAlreadyWait_AnswersEveryOne()
    {
        // Callers that reach the mount between mount(2) and the last queue's registration wait in the kernel and
        // flow into the entries the moment the ring is ready, possibly while a queue is still registering.
        var root = new MemoryDirectory();
        root.AddFile("file", "12345"u8.ToArray());
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-");
        string script = $"for i in $(seq 300); do stat -c %s {directory.FullName}/file 2>/dev/null; done | tail -n 1";
        System.Diagnostics.Process[] callers = Enumerable.Range(0, 4).Select(_ => Tool.Start("/bin/sh", "-c", script)).ToArray();
        try
        {
            await using FuseMount mount = await FuseMount.MountAsync(directory.FullName, root, Uring with { AttributeTimeout = TimeSpan.Zero }, null, CancellationToken.None);
            ProcessResult[] results = await Task.WhenAll(callers.Select(Tool.WaitAsync));

            Assert.All(results, result => Assert.Equal(0, result.ExitCode));
            Assert.Equal("5\n", await Tool.CheckedAsync("stat", "-c", "%s", Path.Combine(directory.FullName, "file")));
        }
        finally
        {
            foreach (System.Diagnostics.Process caller in callers)
            {
                caller.Dispose();
            }

            directory.Delete();
        }
    }

    [RootOnlyFact]
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

    [RootOnlyFact]
    public async Task Mount_AutoWithIoUringSwitchedOn_UsesIoUring()
    {
        var root = new MemoryDirectory();
        root.AddFile("file", "auto"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, new FuseMountOptions { Transport = FuseTransport.Auto });

        Assert.Equal("auto", await Tool.CheckedAsync("cat", mount.PathOf("file")));
        Assert.Equal(FuseTransport.IoUring, mount.Mount.ActiveTransport);
    }
}
