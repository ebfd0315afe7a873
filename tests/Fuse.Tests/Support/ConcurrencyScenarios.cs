using System.Security.Cryptography;
using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>The concurrency checks every transport must pass, run by the tests of each transport with its options.</summary>
internal static class ConcurrencyScenarios
{
    /// <summary>Sixteen readers of four 8 MiB files each get the whole file.</summary>
    public static async Task ParallelReadersGetWholeFilesAsync(FuseMountOptions options)
    {
        var content = new byte[8 * 1024 * 1024 + 777];
        new Random(11).NextBytes(content);
        var root = new MemoryDirectory();
        for (int i = 0; i < 4; i++)
        {
            root.AddFile($"file{i}", content);
        }

        await using TestMount mount = await TestMount.StartAsync(root, options with { KeepCache = false });
        byte[] expected = SHA256.HashData(content);

        byte[][] hashes = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
        {
            await using FileStream stream = File.OpenRead(mount.PathOf($"file{i % 4}"));
            return await SHA256.HashDataAsync(stream);
        })));

        Assert.All(hashes, hash => Assert.Equal(expected, hash));
    }

    /// <summary>While a READ waits on its node, stat and ls of another file are answered.</summary>
    public static async Task StatCompletesWhileReadBlocksAsync(FuseMountOptions options)
    {
        var root = new MemoryDirectory();
        GatedFile slow = root.Add("slow", new GatedFile("slow content"u8.ToArray()));
        root.AddDirectory("other").AddFile("fast", "fast"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, options with { AttributeTimeout = TimeSpan.Zero, EntryTimeout = TimeSpan.Zero });

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

    /// <summary>kill -INT of a reader waiting on its READ cancels the node's token, and the reader sees EINTR.</summary>
    public static async Task InterruptedReaderSeesEintrAsync(FuseMountOptions options)
    {
        var root = new MemoryDirectory();
        GatedFile stuck = root.Add("stuck", new GatedFile(new byte[8192]));
        await using TestMount mount = await TestMount.StartAsync(root, options);

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
}
