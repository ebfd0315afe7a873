using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;
using PluggableSnapshotter.TestSupport.Tars;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// What the fill tests fill: one gzip layer holding <c>data/file</c> (1 MiB of random bytes), a store of their own
/// in a temporary state folder, with the layer mounted and recorded partial, and the fill's request for it.
/// </summary>
internal sealed class OneLayerToFill : IDisposable
{
    private static readonly byte[] Index = "ztoc"u8.ToArray();

    public OneLayerToFill(string prefix)
    {
        State = Directory.CreateTempSubdirectory(prefix).FullName;
        File = new byte[1 << 20];
        new Random(23).NextBytes(File);
        Blob = LayerBuilder.Gzip(new LayerBuilder().Dir("data/").File("data/file", File).Tar());
        Digest = OciDigest.Compute(Blob).ToString();
    }

    public string State { get; }

    /// <summary>The content of <c>data/file</c>.</summary>
    public byte[] File { get; }

    public byte[] Blob { get; }

    public string Digest { get; }

    /// <summary>A store with the layer attached and partial, its first <paramref name="present"/> blob bytes fetched already.</summary>
    public LayerStore Store(int present = 0)
    {
        var store = new LayerStore(State, new StoreOptions());
        store.Attach(Digest, "/m1", Blob.Length, "img", null);
        store.RecordPartial(Digest, MediaTypes.OciLayerGzip, OciDigest.Compute(Index).ToString(), Index, []);
        if (present > 0) store.Partial(Digest)!.Write(0, Blob.AsSpan(0, present));
        return store;
    }

    /// <summary>
    /// A loopback registry serving the layer, <see cref="Store"/> over it and a fill made by <paramref name="newFill"/>:
    /// what most fill tests begin with.
    /// </summary>
    public FillRig Rig(Func<RegistryClient, LayerStore, BackgroundFill> newFill, int present = 0)
    {
        var server = new ShortBodyRegistry(Blob, shortBodies: 0);
        var registry = new RegistryClient();
        var store = Store(present);
        return new FillRig(server, registry, store, newFill(registry, store));
    }

    public FillRequest Request(ShortBodyRegistry server) =>
        new(ImageReference.Parse(server.Reference), new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = Digest, Size = Blob.Length },
            new LayerIndexFile(OciDigest.Compute(Index).ToString(), Index, 2 << 20), LayerInode.NewDirectory(0x1ED), DateTimeOffset.UtcNow);

    /// <summary>The unpacked <c>data/file</c> in the store's copy of the layer.</summary>
    public Task<byte[]> ReadLocalFileAsync(LayerStore store) => System.IO.File.ReadAllBytesAsync(Path.Combine(store.FillPaths(Digest).FsPath, "data/file"));

    public async Task WaitForStateAsync(LayerStore store, LayerState state)
    {
        for (var waited = 0; store.StateOf(Digest) != state && waited < 300; waited++) await Task.Delay(100);
        Assert.Equal(state, store.StateOf(Digest));
    }

    public void Dispose() => StoreStatusFile.DeleteState(State);
}

/// <summary>A fill under test and what it fills from; disposed fill first, then the store's partial blobs, the client and the registry.</summary>
internal sealed record FillRig(ShortBodyRegistry Server, RegistryClient Registry, LayerStore Store, BackgroundFill Fill) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Fill.DisposeAsync();
        Store.ClosePartials();
        Registry.Dispose();
        await Server.DisposeAsync();
    }
}
