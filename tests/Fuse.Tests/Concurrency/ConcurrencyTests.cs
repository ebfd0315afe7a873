using System.Security.Cryptography;
using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;

namespace PluggableSnapshotter.Fuse.Tests.Concurrency;

/// <summary>Parallel readers, slow reads that must not hold up other requests, and INTERRUPT (root only).</summary>
public sealed class ConcurrencyTests
{
    [Fact]
    public async Task ReadInParallel_SixteenReaders_EachGetsTheWholeFile()
    {
        var content = new byte[8 * 1024 * 1024 + 777];
        new Random(11).NextBytes(content);
        var root = new MemoryDirectory();
        for (int i = 0; i < 4; i++)
        {
            root.AddFile($"file{i}", content);
        }

        await using TestMount mount = await TestMount.StartAsync(root, new FuseMountOptions { KeepCache = false });
        byte[] expected = SHA256.HashData(content);

        byte[][] hashes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await using FileStream stream = File.OpenRead(mount.PathOf($"file{i % 4}"));
            return await SHA256.HashDataAsync(stream);
        })));

        Assert.All(hashes, hash => Assert.Equal(expected, hash));
    }

    [Fact]
    public async Task Stat_WhileAnotherFileReadBlocks_Completes()
    {
        var root = new MemoryDirectory();
        GatedFile slow = root.Add("slow", new GatedFile("slow content"u8.ToArray()));
        root.AddDirectory("other").AddFile("fast", "fast"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, new FuseMountOptions { AttributeTimeout = TimeSpan.Zero, EntryTimeout = TimeSpan.Zero });

        using System.Diagnostics.Process reader = Tool.Start("cat", mount.PathOf("slow"));
        await slow.Entered.Task.WaitAsync(Tool.HangLimit);

        ProcessResult stat = await Tool.RunAsync("stat", "-c", "%s", mount.PathOf("other/fast"));
        ProcessResult list = await Tool.RunAsync("ls", mount.PathOf("other"));

        Assert.False(slow.IsReleased);
        Assert.False(reader.HasExited);
        Assert.Equal("4\n", stat.Text);
        Assert.Equal("fast\n", list.Text);
        slow.Release();
        ProcessResult read = await Tool.WaitAsync(reader);
        Assert.Equal("slow content", read.Text);
    }

    [Fact]
    public async Task KillInt_ReaderWaitingOnRead_CancelsTokenAndReaderSeesEintr()
    {
        var root = new MemoryDirectory();
        GatedFile stuck = root.Add("stuck", new GatedFile(new byte[8192]));
        await using TestMount mount = await TestMount.StartAsync(root);

        // O_DIRECT: the read is a synchronous request of the reader itself, the kind the kernel interrupts (page
        // cache readahead runs in the background and is never interrupted).
        using System.Diagnostics.Process reader = Tool.Start("python3", "-c", DirectReadScript.Source, mount.PathOf("stuck"));
        reader.StandardInput.Close();
        Assert.Equal("reading", await reader.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit));
        await stuck.Entered.Task.WaitAsync(Tool.HangLimit);

        await Tool.CheckedAsync("kill", "-INT", reader.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));

        await stuck.Cancelled.Task.WaitAsync(Tool.HangLimit);
        ProcessResult result = await Tool.WaitAsync(reader);
        Assert.Equal("result -1 4\n", result.Text); // EINTR
        Assert.False(stuck.IsReleased);
    }

    [Fact]
    public async Task Getattr_NodeThrows_AnswersEioAndLogsOnce()
    {
        var root = new MemoryDirectory();
        root.Add("broken", new FaultyFile());
        await using TestMount mount = await TestMount.StartAsync(root, new FuseMountOptions { AttributeTimeout = TimeSpan.Zero, EntryTimeout = TimeSpan.Zero });

        ProcessResult first = await Tool.RunAsync("stat", mount.PathOf("broken"));
        ProcessResult second = await Tool.RunAsync("stat", mount.PathOf("broken"));
        ProcessResult healthy = await Tool.RunAsync("stat", "-c", "%F", mount.Root);

        Assert.Contains("Input/output error", first.Error);
        Assert.Contains("Input/output error", second.Error);
        Assert.Equal("directory\n", healthy.Text);
        Assert.Single(mount.Logger.Entries, entry => entry.Message.Contains("FaultyFile", StringComparison.Ordinal));
    }
}
