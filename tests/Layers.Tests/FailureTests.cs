using PluggableSnapshotter.Layers.Tests.Support;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Tars;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>A layer whose bytes break off, turn bad, or whose apply is cancelled leaves nothing behind (root only).</summary>
public sealed class FailureTests : IDisposable
{
    private readonly Tmpfs _tmpfs = new();
    private readonly LayerApplier _applier = new();

    private static byte[] BigLayer()
    {
        var builder = new LayerBuilder();
        for (var i = 0; i < 200; i++) builder.File($"dir{i % 7}/file{i}", new string((char)('a' + i % 26), 5000 + i));
        return LayerBuilder.Gzip(builder.Tar());
    }

    [RootOnlyFact]
    public async Task ApplyAsync_SourceFailsMidway_SurfacesItsErrorAndLeavesNothing()
    {
        var blob = BigLayer();
        var source = new FaultingStream(blob, blob.Length / 2, () => throw new IOException("network gone"));

        var error = await Assert.ThrowsAsync<IOException>(() => _applier.ApplyAsync(source, _tmpfs.PathOf("layer"), new LayerApplyOptions(), CancellationToken.None));

        Assert.Equal("network gone", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_TruncatedGzip_ThrowsInvalidDataAndLeavesNothing()
    {
        var blob = BigLayer();

        await Assert.ThrowsAnyAsync<InvalidDataException>(() =>
            _applier.ApplyAsync(new MemoryStream(blob[..(blob.Length / 2)]), _tmpfs.PathOf("layer"), new LayerApplyOptions(), CancellationToken.None));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_CorruptGzip_ThrowsInvalidDataAndLeavesNothing()
    {
        var blob = BigLayer();
        for (var i = blob.Length / 3; i < blob.Length / 3 + 64; i++) blob[i] ^= 0x5a;

        await Assert.ThrowsAnyAsync<InvalidDataException>(() =>
            _applier.ApplyAsync(new MemoryStream(blob), _tmpfs.PathOf("layer"), new LayerApplyOptions(), CancellationToken.None));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    [RootOnlyFact]
    public async Task ApplyAsync_CancelledMidway_ThrowsCanceledAndLeavesNothing()
    {
        var blob = BigLayer();
        using var cancellation = new CancellationTokenSource();
        var source = new FaultingStream(blob, blob.Length / 2, cancellation.Cancel);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            _applier.ApplyAsync(source, _tmpfs.PathOf("layer"), new LayerApplyOptions(), cancellation.Token));

        Assert.Empty(Directory.EnumerateFileSystemEntries(_tmpfs.Root));
    }

    public void Dispose() => _tmpfs.Dispose();
}
