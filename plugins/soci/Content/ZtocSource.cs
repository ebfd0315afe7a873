using System.Collections.Concurrent;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Content;

/// <summary>
/// zTOCs fetched from the registry (digest-verified by the client) and parsed. On the first mount of an image every zTOC
/// of its index is fetched at once, so the layers containerd prepares next mount without waiting on the network. A
/// fetched zTOC is handed out once and forgotten: the mount that takes it keeps it. One no mount takes (its layer went
/// to another backend) is dropped after <see cref="Unclaimed"/>. With <paramref name="buildTree"/>, each zTOC's tree is built
/// as soon as it arrives, in the background, so a later layer's Prepare only mounts (its lowers' directory attributes are
/// applied at the mount, when they are mounted). The zTOC of the layer being mounted comes first, alone: the others'
/// fetches and trees would share the registry and the CPUs with the one the first Prepare of an image waits for.
/// </summary>
internal sealed class ZtocSource(RegistryClient registry, Func<Ztoc, LayerInode>? buildTree = null)
{
    /// <summary>No zTOC this large is plausible (SOCI's are a few percent of a layer); a bigger one is refused before download.</summary>
    private const int MaxZtocSize = 256 * 1024 * 1024;

    /// <summary>How long a prefetched zTOC waits for its mount.</summary>
    private static readonly TimeSpan Unclaimed = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, Lazy<Task<FetchedZtoc>>> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _started = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _prefetched = new(StringComparer.Ordinal);

    /// <summary>
    /// Starts fetching every zTOC of <paramref name="index"/> not fetched or pending yet, once per index: every layer's
    /// mount calls this, and a zTOC an earlier layer took already must not be fetched again. Layers for which
    /// <paramref name="served"/> says yes (mounted already, or kept by the store with their zTOC) are skipped: nothing
    /// would take their zTOC, which would wait here, with its tree, until it expires. <paramref name="first"/>, the zTOC of
    /// the layer being mounted, is fetched and parsed before the others start.
    /// </summary>
    public void Prefetch(ImageReference repository, SociIndexManifest index, string? indexDigest, Func<string, bool>? served = null, Descriptor? first = null)
    {
        foreach (var (key, started) in _started)
        {
            if (DateTimeOffset.UtcNow - started > Unclaimed && _pending.TryRemove(key, out _)) _started.TryRemove(key, out _);
        }
        foreach (var (key, started) in _prefetched)
        {
            if (DateTimeOffset.UtcNow - started > Unclaimed) _prefetched.TryRemove(key, out _);
        }
        if (indexDigest is not null && !_prefetched.TryAdd($"{repository.Registry}/{repository.Repository}@{indexDigest}", DateTimeOffset.UtcNow)) return;
        // Not the first one again: its mount may have taken it (and so forgotten it) by the time the others start.
        var others = index.Ztocs.Where(z => z.Digest != first?.Digest).ToList();
        if (first is null)
        {
            StartAll(repository, others, served);
            return;
        }
        // Whether it succeeds or not: a later layer's mount reports its own zTOC's failure.
        _ = Pending(repository, first).Value.ContinueWith(_ => StartAll(repository, others, served), CancellationToken.None,
            TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Starts the zTOCs of layers not served yet (asked now: one may have mounted while the first zTOC loaded).</summary>
    private void StartAll(ImageReference repository, IEnumerable<Descriptor> ztocs, Func<string, bool>? served)
    {
        foreach (var ztoc in ztocs)
        {
            if (served is not null && ztoc.Annotation(SociAnnotations.ImageLayerDigest) is { } layer && served(layer)) continue;
            _ = Pending(repository, ztoc).Value.ContinueWith(static t => _ = t.Exception, TaskScheduler.Default);
        }
    }

    /// <summary>Whether the zTOC <paramref name="descriptor"/> names is here already (prefetched), so taking it waits for nothing.</summary>
    public bool IsReady(ImageReference repository, Descriptor descriptor) =>
        _pending.TryGetValue(Key(repository, descriptor), out var entry) && entry.IsValueCreated && entry.Value.IsCompletedSuccessfully;

    /// <summary>The zTOC <paramref name="descriptor"/> names, prefetched or fetched now.</summary>
    /// <exception cref="InvalidDataException">The zTOC is malformed.</exception>
    public async Task<FetchedZtoc> TakeAsync(ImageReference repository, Descriptor descriptor, CancellationToken cancellationToken)
    {
        var entry = Pending(repository, descriptor);
        try
        {
            return await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (entry.Value.IsCompleted && _pending.TryRemove(KeyValuePair.Create(Key(repository, descriptor), entry))) _started.TryRemove(Key(repository, descriptor), out _);
        }
    }

    /// <summary>Parses zTOC bytes already verified against <paramref name="digest"/>.</summary>
    public static FetchedZtoc Parse(string digest, byte[] bytes)
    {
        try
        {
            return new FetchedZtoc(digest, bytes, ZtocSerializer.Deserialize(bytes));
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"zTOC {digest} is invalid: {e.Message}", e);
        }
    }

    /// <summary>
    /// The bytes of zTOC <paramref name="digest"/>, fetched now and checked against it (the size comes from the registry,
    /// up to the largest plausible zTOC): what replaces a stored copy that failed its digest.
    /// </summary>
    public Task<byte[]> FetchBytesAsync(ImageReference repository, string digest, CancellationToken cancellationToken) =>
        registry.GetBlobAsync(repository, new Descriptor { MediaType = SociMediaTypes.Ztoc, Digest = digest, Size = -1 }, MaxZtocSize, cancellationToken);

    private Lazy<Task<FetchedZtoc>> Pending(ImageReference repository, Descriptor descriptor) =>
        _pending.GetOrAdd(Key(repository, descriptor), key =>
        {
            _started[key] = DateTimeOffset.UtcNow;
            return new Lazy<Task<FetchedZtoc>>(() => FetchAsync(repository, descriptor));
        });

    // Not tied to one caller's token: the prefetch is shared by every layer of the image.
    private async Task<FetchedZtoc> FetchAsync(ImageReference repository, Descriptor descriptor)
    {
        var blob = new Descriptor { MediaType = descriptor.MediaType, Digest = descriptor.Digest, Size = descriptor.Size };
        var bytes = await registry.GetBlobAsync(repository, blob, MaxZtocSize, CancellationToken.None).ConfigureAwait(false);
        return await Task.Run(() => WithTree(Parse(descriptor.Digest, bytes))).ConfigureAwait(false);
    }

    private FetchedZtoc WithTree(FetchedZtoc fetched)
    {
        if (buildTree is null) return fetched;
        try
        {
            return fetched.WithTree(buildTree(fetched.Ztoc));
        }
        catch (InvalidDataException)
        {
            return fetched; // the mount builds it again and reports why it cannot
        }
    }

    private static string Key(ImageReference repository, Descriptor descriptor) => $"{repository.Registry}/{repository.Repository}@{descriptor.Digest}";
}

/// <summary>A zTOC as fetched (its bytes, kept for the store) and parsed, with its layer's tree when it was built ahead.</summary>
internal sealed record FetchedZtoc(string Digest, byte[] Bytes, Ztoc Ztoc)
{
    private LayerInode? _treeBuiltAhead;

    /// <summary>This zTOC with its layer's tree built ahead (no lower layer's attributes applied yet).</summary>
    public FetchedZtoc WithTree(LayerInode tree)
    {
        var built = this with { };
        built._treeBuiltAhead = tree;
        return built;
    }

    /// <summary>
    /// The tree built ahead, to one caller only (the mount applies its lowers to it, so two mounts of the layer that took
    /// the same zTOC at once must not share it); null when none was built or another mount took it.
    /// </summary>
    public LayerInode? TakeTree() => Interlocked.Exchange(ref _treeBuiltAhead, null);
}
