using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport.Logging;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Store;

/// <summary>
/// A kept index file read for a mount from the store, on a plain folder: each fetch is the backend's call, here a
/// function that counts its calls (the registry's side is covered end to end by StoredZtocTests and estargz's StoredTocTests).
/// </summary>
public sealed class StoredIndexFilesTests : IDisposable
{
    private static readonly string Layer = "sha256:" + new string('a', 64);
    private static readonly ImageReference Repository = ImageReference.Parse("127.0.0.1:5000/app:v1");
    private static readonly byte[] Good = "the layer's index"u8.ToArray();
    private static readonly string GoodDigest = OciDigest.Compute(Good).ToString();
    private readonly string _state = Directory.CreateTempSubdirectory("stored-index-").FullName;
    private readonly List<string> _reasons = [];
    private int _fetches;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [Fact]
    public async Task ReadAsync_CopyMatchesItsDigest_ReturnsItWithoutFetching()
    {
        var (files, path) = Stored(Good);

        Assert.Equal(Good, await files.ReadAsync(Layer, path, GoodDigest, Repository, FetchAsync(Good), CancellationToken.None));
        Assert.Equal(0, _fetches);
        Assert.Empty(_reasons);
    }

    [Fact]
    public async Task ReadAsync_CopyCannotBeRead_FetchesItAndSaysWhy()
    {
        var (files, path) = Stored(Good);
        File.Delete(path);
        Directory.CreateDirectory(path); // reading it fails (EISDIR), and so does putting a file in its place

        Assert.Equal(Good, await files.ReadAsync(Layer, path, GoodDigest, Repository, FetchAsync(Good), CancellationToken.None));
        Assert.Equal(1, _fetches);
        Assert.StartsWith("reading it failed", Assert.Single(_reasons), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_RegistryGivesOtherBytes_FailsSayingBothAndKeepsTheBadCopy()
    {
        var (files, path) = Stored("torn"u8.ToArray());

        var error = await Assert.ThrowsAsync<IOException>(() =>
            files.ReadAsync(Layer, path, GoodDigest, Repository, FetchAsync("not it either"u8.ToArray()), CancellationToken.None));

        Assert.Contains("do not match its digest", error.Message, StringComparison.Ordinal);
        Assert.Contains("127.0.0.1:5000/app", error.Message, StringComparison.Ordinal);
        Assert.Equal("torn"u8.ToArray(), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task ReadAsync_CancelledWhileFetching_ThrowsTheCancellationNotAnIOException()
    {
        var (files, path) = Stored("torn"u8.ToArray());
        using var cancel = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => files.ReadAsync(Layer, path, GoodDigest, Repository, async ct =>
        {
            await cancel.CancelAsync();
            ct.ThrowIfCancellationRequested();
            return Good;
        }, cancel.Token));
    }

    [Fact]
    public async Task ReadAsync_LayerLeavesTheStoreDuringTheFetch_ServesTheFetchedCopyAndSaysItWasNotKept()
    {
        var logger = new EventIdLogger<StoredIndexFiles>();
        var (files, path, store) = Stored("torn"u8.ToArray(), logger);

        var read = await files.ReadAsync(Layer, path, GoodDigest, Repository, _ =>
        {
            store.Delete(Layer); // its last snapshot removed meanwhile
            return Task.FromResult(Good);
        }, CancellationToken.None);

        Assert.Equal(Good, read);
        Assert.Contains(3031, logger.EventIds);
    }

    /// <summary>A store holding <see cref="Layer"/> with <paramref name="bytes"/> as its kept index file, recorded as <see cref="GoodDigest"/>.</summary>
    private (StoredIndexFiles Files, string Path) Stored(byte[] bytes)
    {
        var (files, path, _) = Stored(bytes, NullLogger.Instance);
        return (files, path);
    }

    private (StoredIndexFiles Files, string Path, LayerStore Store) Stored(byte[] bytes, Microsoft.Extensions.Logging.ILogger logger)
    {
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(Layer, "/m1", 100, "img", null);
        store.RecordPartial(Layer, "application/vnd.oci.image.layer.v1.tar+gzip", GoodDigest, bytes, []);
        var files = new StoredIndexFiles(store, "zTOC", (_, _, _, _, reason) => _reasons.Add(reason), logger);
        return (files, store.Resumable(Layer)!.ZtocPath, store);
    }

    private Func<CancellationToken, Task<byte[]>> FetchAsync(byte[] bytes) => _ =>
    {
        _fetches++;
        return Task.FromResult(bytes);
    };
}
