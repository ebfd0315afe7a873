using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Concurrency;

/// <summary>Parallel readers, slow reads that must not hold up other requests, and INTERRUPT (root only).</summary>
public sealed class ConcurrencyTests
{
    private static readonly FuseMountOptions DeviceTransport = new() { Transport = FuseTransport.Device };

    [RootOnlyFact]
    public Task ReadInParallel_SixteenReaders_EachGetsTheWholeFile() => ConcurrencyScenarios.ParallelReadersGetWholeFilesAsync(DeviceTransport);

    [RootOnlyFact]
    public Task Stat_WhileAnotherFileReadBlocks_Completes() => ConcurrencyScenarios.StatCompletesWhileReadBlocksAsync(DeviceTransport);

    [RootOnlyFact]
    public Task KillInt_ReaderWaitingOnRead_CancelsTokenAndReaderSeesEintr() => ConcurrencyScenarios.InterruptedReaderSeesEintrAsync(DeviceTransport);

    [RootOnlyFact]
    public async Task Stat_WhileAnotherWorkerIsBlockedInACallback_IsAnsweredByTheNextWorker()
    {
        var root = new MemoryDirectory();
        SynchronouslyBlockingFile blocking = root.Add("blocking", new SynchronouslyBlockingFile("late"u8.ToArray()));
        root.AddFile("fast", "fast"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, DeviceTransport with { Workers = 2, AttributeTimeout = TimeSpan.Zero });

        using System.Diagnostics.Process reader = Tool.Start("cat", mount.PathOf("blocking"));
        await blocking.Entered.Task.WaitAsync(Tool.HangLimit);
        ProcessResult stat = await Tool.RunAsync("stat", "-c", "%s", mount.PathOf("fast"));

        Assert.Equal("4\n", stat.Text);
        Assert.False(reader.HasExited);
        blocking.Release();
        Assert.Equal("late", (await Tool.WaitAsync(reader)).Text);
    }

    [RootOnlyFact]
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
