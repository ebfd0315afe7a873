using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Tars;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>
/// <see cref="LayerApplyOptions.HoldBack"/>: an apply held back stops decompressing and writing within a few chunks and
/// goes on where it was once released (root only: the applier sets ownership; tmpfs).
/// </summary>
public sealed class LayerApplierHoldBackTests : IDisposable
{
    private const int Chunk = 256 * 1024; // what the applier decompresses per hold-back
    private const int FreeChunks = 4; // hold-backs that pass at once before the hold starts
    private const string Gzip = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private readonly Tmpfs _tmpfs = new();
    private readonly byte[] _first = Random(6 << 20, seed: 1);
    private readonly byte[] _second = Random(3 << 20, seed: 2);

    public void Dispose() => _tmpfs.Dispose();

    private string Target => _tmpfs.PathOf("layer");

    [RootOnlyFact]
    public async Task ApplyAsync_HeldBack_WritesAtMostTheChunksBeforeTheHoldAndCompletesOnlyAfterRelease()
    {
        var hold = new Hold(FreeChunks);

        var apply = new LayerApplier().ApplyAsync(new MemoryStream(Blob()), Target, new LayerApplyOptions { MediaType = Gzip, HoldBack = hold.WaitAsync }, CancellationToken.None);
        await hold.Reached.WaitAsync(Bounded);
        await Task.Delay(500); // unheld, the whole layer would be written by now

        Assert.False(apply.IsCompleted, "the apply completed while held back");
        Assert.False(Directory.Exists(Target));
        Assert.InRange(BytesWrittenSoFar(), 0, FreeChunks * Chunk);
        hold.Release();
        var result = await apply.WaitAsync(Bounded);

        Assert.Equal(_first, await File.ReadAllBytesAsync(Path.Combine(Target, "data/first")));
        Assert.Equal(_second, await File.ReadAllBytesAsync(Path.Combine(Target, "data/second")));
        Assert.Equal(3, result.Entries);
        Assert.True(hold.Calls > (_first.Length + _second.Length) / Chunk, $"held back {hold.Calls} times: not before each chunk");
    }

    [RootOnlyFact]
    public async Task ApplyAsync_CancelledWhileHeldBack_ThrowsAndLeavesNothing()
    {
        var hold = new Hold(FreeChunks);
        using var cancellation = new CancellationTokenSource();

        var apply = new LayerApplier().ApplyAsync(new MemoryStream(Blob()), Target, new LayerApplyOptions { MediaType = Gzip, HoldBack = hold.WaitAsync }, cancellation.Token);
        await hold.Reached.WaitAsync(Bounded);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => apply.WaitAsync(Bounded));
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    private byte[] Blob() => LayerBuilder.Gzip(new LayerBuilder().Dir("data/").File("data/first", _first).File("data/second", _second).Tar());

    /// <summary>Bytes of file data in the apply's staging folder (<c>.layer.apply-*</c>) and the target.</summary>
    private long BytesWrittenSoFar() =>
        Directory.EnumerateFiles(_tmpfs.Root, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>A hold-back that lets <c>free</c> calls pass, then holds every later one until released (or cancelled).</summary>
    private sealed class Hold(int free)
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        /// <summary>Completes when the first held call arrives.</summary>
        public Task Reached => _reached.Task;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask WaitAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) <= free) return ValueTask.CompletedTask;
            _reached.TrySetResult();
            return new ValueTask(_released.Task.WaitAsync(cancellationToken));
        }

        public void Release() => _released.TrySetResult();
    }
}
