using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.WarmUp;

/// <summary>
/// The work of a first Prepare, of the first container start and of the first fill, done once on a made-up layer served by
/// a <see cref="WarmUpRegistry"/> on loopback: the image resolved and its SOCI index found through the registry client, the
/// zTOC fetched, verified, parsed and validated, its tree built with the overlay conventions and the lowers' directory
/// attributes, its FUSE nodes made and walked. What ReadyToRun leaves to the JIT (generic instantiations over framework
/// types, async state machines, lambdas, the flatbuffers reader) is compiled here instead of in the first pull.
/// With a throw-away folder, the layer also goes through a store of its own there: with mount options, the tree is mounted
/// over FUSE once (never deposited with a keeper) with the layer's real content and walked through the kernel, every file
/// read (INIT, LOOKUP, GETATTR, READDIRPLUS, READLINK, STATFS, READ: on-demand range requests, span digests, inflate, the
/// decompressed spans kept), then unmounted; then the layer is filled as a mounted one is (range requests, the blob's
/// digest, the unpack into the store). Measured: the first fill compiled about 1,200 methods (0.3-0.45 s of JIT on 2 CPUs)
/// right when the first container started. Nothing leaves the machine, and the only files written are the throw-away
/// folder's, removed at the end (never through a mount point: <see cref="WarmUpFolder"/>). Both walks stop at the next
/// entry once the token is cancelled (the daemon stopping).
/// </summary>
internal static class PrepareWarmUp
{
    /// <summary>How long the made-up layer's fill may take (a few milliseconds of work) before the warm-up gives up on it.</summary>
    private static readonly TimeSpan FillTimeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs the made-up Prepare: discovery and the zTOC through <paramref name="registry"/> from a <see cref="WarmUpRegistry"/>
    /// on loopback, then the tree and its FUSE nodes; returns how many entries the tree had (so the work cannot be optimised away).
    /// </summary>
    /// <param name="registry">The client the Prepares use (its HTTP client is made here).</param>
    /// <param name="userXattr">As the backend's setting.</param>
    /// <param name="storeDirectory">An empty folder for a throw-away <see cref="LayerStore"/> (removed afterwards), where the layer is also filled; null for none.</param>
    /// <param name="mountOptions">The options of a layer's mount, to mount the made-up tree once in <paramref name="storeDirectory"/>; null for no mount.</param>
    /// <param name="beforeFill">Awaited before the fill (null: none), which may wait for real Prepares to pass first.</param>
    /// <param name="logger">Says when the folder is left in place (something mounted in it could not be detached).</param>
    /// <param name="cancellationToken">Stops the warm-up.</param>
    /// <param name="keepDecompressedSpans">Whether the mount's reads keep their spans on disk, as the backend's real layers do.</param>
    public static async Task<int> RunAsync(RegistryClient registry, bool userXattr, string? storeDirectory, FuseMountOptions? mountOptions,
        Func<CancellationToken, Task>? beforeFill, ILogger logger, CancellationToken cancellationToken, bool keepDecompressedSpans = true)
    {
        var (ztocBytes, blob) = await MadeUpImage.LayerAsync(cancellationToken).ConfigureAwait(false);
        var layer = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = OciDigest.Compute(blob).ToString(), Size = blob.Length };
        var server = new WarmUpRegistry();
        await using (server.ConfigureAwait(false))
        {
            var tagged = MadeUpImage.Publish(server, layer, blob, ztocBytes);
            server.Start();
            var finder = new SociIndexFinder(registry, new ImageCatalog(registry), new SociPullModes());
            var image = await finder.FindAsync(ImageReference.Parse($"{server.Host}/{MadeUpImage.Repository}:{tagged}"), null, null, cancellationToken).ConfigureAwait(false);
            var ztocDescriptor = image.Index?.ZtocFor(layer.Digest)
                ?? throw new InvalidDataException($"the warm-up found no zTOC for its layer ({image.NoIndexReason})");
            var ztocs = new ZtocSource(registry, ztoc => ZtocLayerEntries.BuildTree(ztoc, userXattr));
            ztocs.Prefetch(image.Repository, image.Index, image.IndexDigest);
            var fetched = await ztocs.TakeAsync(image.Repository, ztocDescriptor, cancellationToken).ConfigureAwait(false);

            var lower = ZtocLayerEntries.BuildTree(fetched.Ztoc, userXattr);
            var tree = fetched.TakeTree() ?? ZtocLayerEntries.BuildTree(fetched.Ztoc, userXattr);
            var chain = LowerDirectoryAttributes.Resolve(tree, [lower]);
            _ = LayerContent.SpanLayout(fetched.Ztoc);
            var shared = LayerView.Build(tree, OwnerMapping.Identity, new NoContent(layer.Digest), NullLogger.Instance);
            var root = ReferenceEquals(chain, tree) ? shared : LayerView.ForChain(chain, shared);
            var entries = await WalkAsync(root, cancellationToken).ConfigureAwait(false);
            if (storeDirectory is null) return entries;
            var made = new MadeUpLayer(image.Repository, layer, fetched, tree, chain, image.IndexDigest);
            await ThroughStoreAsync(registry, storeDirectory, made, userXattr, mountOptions, keepDecompressedSpans, beforeFill, logger, cancellationToken).ConfigureAwait(false);
            return entries;
        }
    }

    /// <summary>
    /// Mounts <paramref name="root"/> at <paramref name="mountpoint"/> (made here), lists, stats and reads every entry through the
    /// kernel, and unmounts, even when a step fails. A mount a crashed daemon left here is dead (no keeper holds it): removed first.
    /// </summary>
    internal static async Task MountOnceAsync(string mountpoint, LayerDirectoryNode root, FuseMountOptions options, CancellationToken cancellationToken)
    {
        await FuseMountCleanup.CleanupDisconnectedAsync(Path.GetDirectoryName(mountpoint)!, cancellationToken).ConfigureAwait(false);
        Directory.CreateDirectory(mountpoint);
        var mount = await FuseMount.MountAsync(mountpoint, root, options, NullLogger.Instance, cancellationToken).ConfigureAwait(false);
        await using (mount.ConfigureAwait(false))
        {
            await Task.Run(() => WalkThroughKernel(mountpoint, cancellationToken), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>What a container's start asks of a lower layer: statfs, listings (READDIRPLUS), lookups, attributes, a link, a read.</summary>
    private static void WalkThroughKernel(string mountpoint, CancellationToken cancellationToken)
    {
        _ = new DriveInfo(mountpoint).TotalSize;
        foreach (var path in Directory.EnumerateFileSystemEntries(mountpoint, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = new FileInfo(path);
            if (entry.LinkTarget is not null) continue;
            if ((entry.Attributes & FileAttributes.Directory) == 0 && entry.UnixFileMode.HasFlag(UnixFileMode.UserRead) && entry.Length > 0)
            {
                using var file = File.OpenHandle(path);
                _ = RandomAccess.Read(file, new byte[entry.Length], 0);
            }
        }
    }

    /// <summary>The made-up layer as a Prepare found it: where, its zTOC, its tree and the chain's view of it.</summary>
    private sealed record MadeUpLayer(ImageReference Repository, Descriptor Layer, FetchedZtoc Ztoc, LayerInode Tree, LayerInode Chain, string? IndexDigest);

    /// <summary>
    /// What a mount, a container's reads and a fill ask of the store, in a store of its own in <paramref name="directory"/>
    /// that is then removed: look-ups, attach, the zTOC recorded; with <paramref name="mountOptions"/>, the mount with the
    /// layer's content read through the kernel; the fill; detach.
    /// </summary>
    private static async Task ThroughStoreAsync(RegistryClient registry, string directory, MadeUpLayer made, bool userXattr, FuseMountOptions? mountOptions, bool keepSpans,
        Func<CancellationToken, Task>? beforeFill, ILogger logger, CancellationToken cancellationToken)
    {
        var (layer, ztoc) = (made.Layer, made.Ztoc);
        var mountpoint = Path.Combine(directory, "mnt");
        try
        {
            var store = new LayerStore(directory, new StoreOptions());
            _ = store.Local(layer.Digest);
            _ = store.Resumable(layer.Digest);
            _ = store.Attach(layer.Digest, mountpoint, layer.Size, "warm-up", made.IndexDigest);
            store.RecordPartial(layer.Digest, layer.MediaType, ztoc.Digest, ztoc.Bytes, []);
            try
            {
                var size = ztoc.Ztoc.UncompressedArchiveSize;
                if (mountOptions is not null)
                {
                    var (spanCount, layout) = (ztoc.Ztoc.CompressionInfo.MaxSpanId + 1, LayerContent.SpanLayout(ztoc.Ztoc));
                    var content = new LayerContent(new OnDemandFetch(registry, new FetchOptions()), made.Repository, layer, ztoc.Ztoc, new SpanCache(4, 1 << 20),
                        readaheadSpans: 1, () => store.Partial(layer.Digest), () => store.Decompressed(layer.Digest, size, spanCount, layout),
                        keepsEverySpan: () => keepSpans);
                    var shared = LayerView.Build(made.Tree, OwnerMapping.Identity, content, NullLogger.Instance);
                    var root = ReferenceEquals(made.Chain, made.Tree) ? shared : LayerView.ForChain(made.Chain, shared);
                    await MountOnceAsync(Path.Combine(directory, "fuse"), root, mountOptions with { FsName = layer.Digest, Keeper = null }, cancellationToken)
                        .ConfigureAwait(false);
                }
                if (beforeFill is not null) await beforeFill(cancellationToken).ConfigureAwait(false);
                var spans = new ZtocSpans(ztoc.Ztoc); // checked as a mounted layer's fill checks them
                var request = new FillRequest(made.Repository, layer, new LayerIndexFile(ztoc.Digest, ztoc.Bytes, size), made.Chain, DateTimeOffset.UtcNow,
                    CheckUnpackInput: (blob, files) => new SpanCheckingStream(blob, spans, files.VerifiedThrough, files.TurnOff));
                await FillOnceAsync(registry, store, request, userXattr, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                _ = store.Detach(layer.Digest, mountpoint);
                store.ClosePartials();
                await store.TrashEmptiedInBackground.ConfigureAwait(false); // the fill's deletions, before the folder goes
            }
        }
        finally
        {
            WarmUpFolder.Remove(directory, logger);
        }
    }

    /// <summary>Fills the layer of <paramref name="request"/> into <paramref name="store"/> with a fill of its own, as a mounted layer's is filled.</summary>
    private static async Task FillOnceAsync(RegistryClient registry, LayerStore store, FillRequest request, bool userXattr, CancellationToken cancellationToken)
    {
        var fill = new BackgroundFill(registry, store, new LayerApplier(), new BackgroundFillOptions { DelayMilliseconds = 0 }, userXattr);
        await using (fill.ConfigureAwait(false))
        {
            fill.Enqueue(request);
            // The store's state says how it ended (a layer local already is not filled again).
            var started = Stopwatch.GetTimestamp();
            while (store.StateOf(request.Layer.Digest) is var state && state != LayerState.Local)
            {
                if (state == LayerState.Failed) throw new InvalidDataException("the made-up layer's fill failed");
                if (Stopwatch.GetElapsedTime(started) > FillTimeout) throw new TimeoutException($"the made-up layer's fill did not end within {FillTimeout.TotalSeconds} s");
                await Task.Delay(10, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Every node's attributes, lookups of each name and directory listings, as the kernel asks right after a mount.</summary>
    internal static async Task<int> WalkAsync(LayerDirectoryNode root, CancellationToken cancellationToken)
    {
        var count = 0;
        var pending = new Stack<LayerDirectoryNode>([root]);
        while (pending.TryPop(out var directory))
        {
            _ = await directory.GetattrAsync(cancellationToken).ConfigureAwait(false);
            var listing = await directory.ReaddirAsync(cancellationToken).ConfigureAwait(false);
            if (!listing.IsSuccess) continue;
            foreach (var entry in listing.Value)
            {
                cancellationToken.ThrowIfCancellationRequested(); // the nodes answer from memory and never look at the token
                count++;
                var found = await directory.LookupAsync(entry.Name, cancellationToken).ConfigureAwait(false);
                if (!found.IsSuccess) continue;
                if (found.Value is LayerDirectoryNode child) pending.Push(child);
                else if (found.Value is INodeGetattrer node) _ = await node.GetattrAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        return count;
    }

    /// <summary>The made-up layer's bytes are never read.</summary>
    private sealed class NoContent(string layerDigest) : ILayerContent
    {
        public string LayerDigest => layerDigest;

        public string? LocalRoot { get; set; }

        public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
