using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Discovery;

/// <summary>
/// Fetches the TOCs of an image's later layers in the background once its first layer mounts, so their Prepares find
/// the TOC fetched, checked and parsed instead of waiting for a footer+TOC round trip each (containerd prepares layers
/// one after another). A Prepare that arrives while its TOC is in flight waits for that fetch rather than starting
/// another. Bounded: <see cref="MaxConcurrentFetches"/> fetches at once, and TOCs held for Prepares still to come count
/// (JSON and parse, estimated) against <c>prefetch.toc_max_bytes</c>; one over the bound is dropped and fetched again
/// by its Prepare. A TOC is handed out once and then forgotten here; an image cleaned by containerd drops its own.
/// </summary>
internal sealed class TocPrefetcher : IDisposable
{
    /// <summary>TOC fetches in flight at once: they share the link with the mounted layers' reads.</summary>
    public const int MaxConcurrentFetches = 2;

    /// <summary>A parsed TOC's records take about this many times its JSON (strings, lists, the JSON kept for the store).</summary>
    private const int HeldBytesPerJsonByte = 4;

    private readonly TocFinder _finder;
    private readonly long _maxBytes;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<(string Layer, string Toc), Entry> _entries = new();
    private readonly ConcurrentDictionary<string, byte> _images = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _slots = new(MaxConcurrentFetches);
    private readonly CancellationTokenSource _stopping = new();
    private long _heldBytes;

    public TocPrefetcher(TocFinder finder, EstargzBackendOptions options, ILogger<TocPrefetcher>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        // Without verification a Prepare takes its TOC unchecked, so a prefetched (checked) one is not looked up.
        (_finder, _maxBytes) = (finder, options.Prefetch.NextTocs && options.Verify ? options.Prefetch.TocMaxBytes : 0);
        _logger = (ILogger?)logger ?? NullLogger.Instance;
    }

    /// <summary>Bytes (estimated) of the TOCs fetched and not yet handed to a Prepare.</summary>
    public long HeldBytes => Interlocked.Read(ref _heldBytes);

    /// <summary>
    /// Once per image: starts fetching the TOCs of the layers above <paramref name="layerDigest"/> that carry a TOC
    /// digest and that <paramref name="wanted"/> accepts (not local yet). Returns at once.
    /// </summary>
    public void PrefetchLayersAbove(ImageReference repository, string imageKey, ImageManifest manifest, string layerDigest, Func<Descriptor, bool> wanted)
    {
        if (_maxBytes <= 0 || _stopping.IsCancellationRequested || !_images.TryAdd(imageKey, 0)) return;
        var index = manifest.Layers.ToList().FindIndex(l => l.Digest == layerDigest);
        var later = manifest.Layers.Skip(index + 1)
            .Where(l => Compression(l.MediaType) is not null && TocDigestOf(l) is not null && wanted(l))
            .ToList();
        if (later.Count == 0) return;
        EstargzLog.PrefetchingTocs(_logger, later.Count, repository.ToString());
        using var _ = ExecutionContext.SuppressFlow(); // not the Prepare's logging scope
        foreach (var layer in later)
        {
            var key = (layer.Digest, TocDigestOf(layer)!);
            var entry = new Entry(imageKey);
            // Started only once it is listed, so a Prepare that takes it finds its fetch.
            var fetch = new Task<Task<FoundToc?>>(() => FetchAsync(repository, layer, key, entry));
            entry.Found = fetch.Unwrap();
            if (_entries.TryAdd(key, entry)) fetch.Start(TaskScheduler.Default);
        }
    }

    /// <summary>
    /// The TOC of <paramref name="layer"/>: the prefetched one (waiting for it when in flight) when there is one for the
    /// same TOC digest, else fetched now (<see cref="TocFinder.FindAsync"/>; also when the prefetch failed).
    /// </summary>
    public async Task<(FoundToc? Toc, bool Prefetched)> FindAsync(ImageReference repository, Descriptor layer, EstargzCompression compression, string? tocDigest,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (tocDigest is not null && _entries.TryRemove((layer.Digest, tocDigest), out var entry))
        {
            try
            {
                var found = await entry.Found.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (found is not null && found.Compression == compression) return (found, true);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The daemon is stopping; fetched below as any Prepare's.
            }
            finally
            {
                Release(entry);
            }
        }
        return (await _finder.FindAsync(repository, layer, compression, tocDigest, cancellationToken).ConfigureAwait(false), false);
    }

    /// <summary>Drops the TOCs prefetched for <paramref name="imageKey"/> that no Prepare took.</summary>
    public void Forget(string imageKey)
    {
        _images.TryRemove(imageKey, out _);
        foreach (var (key, entry) in _entries)
        {
            if (entry.ImageKey == imageKey && _entries.TryRemove(KeyValuePair.Create(key, entry))) Release(entry);
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
    }

    /// <summary>The chunks' compression a layer media type names, or null for layers neither eStargz nor zstd:chunked can be.</summary>
    public static EstargzCompression? Compression(string? mediaType) => mediaType switch
    {
        MediaTypes.OciLayerGzip or MediaTypes.DockerLayerGzip => EstargzCompression.Gzip,
        MediaTypes.OciLayerZstd => EstargzCompression.Zstd,
        _ => null,
    };

    private static string? TocDigestOf(Descriptor layer) => layer.Annotations?.GetValueOrDefault(EstargzLabels.TocDigest);

    private async Task<FoundToc?> FetchAsync(ImageReference repository, Descriptor layer, (string, string) key, Entry entry)
    {
        CancellationToken stopping;
        try
        {
            stopping = _stopping.Token;
            await _slots.WaitAsync(stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
        {
            return null; // the daemon is stopping: nothing to prefetch for
        }
        FoundToc? found;
        try
        {
            found = await _finder.FindAsync(repository, layer, Compression(layer.MediaType)!.Value, key.Item2, stopping).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException or RegistryException or InvalidDataException && !stopping.IsCancellationRequested)
        {
            // Its Prepare fetches it again and reports a failure with its own context.
            EstargzLog.TocPrefetchFailed(_logger, layer.Digest, e.Message);
            _entries.TryRemove(KeyValuePair.Create(key, entry));
            return null;
        }
        finally
        {
            _slots.Release();
        }
        if (found is null) return null;
        var bytes = (long)found.Json.Length * HeldBytesPerJsonByte;
        if (Interlocked.Add(ref _heldBytes, bytes) > _maxBytes)
        {
            // Over the bound: not kept for later. A Prepare already waiting still gets it.
            Interlocked.Add(ref _heldBytes, -bytes);
            if (_entries.TryRemove(KeyValuePair.Create(key, entry))) EstargzLog.TocPrefetchDropped(_logger, layer.Digest, bytes, _maxBytes);
            return found;
        }
        if (Interlocked.CompareExchange(ref entry.HeldBytes, bytes, 0) != 0) Interlocked.Add(ref _heldBytes, -bytes); // taken meanwhile
        return found;
    }

    private void Release(Entry entry)
    {
        var held = Interlocked.Exchange(ref entry.HeldBytes, -1);
        if (held > 0) Interlocked.Add(ref _heldBytes, -held);
    }

    /// <summary>One layer's prefetch: its fetch, and the bytes it holds against the bound (0 until counted, -1 once taken).</summary>
    private sealed class Entry(string imageKey)
    {
        public string ImageKey { get; } = imageKey;
        public Task<FoundToc?> Found { get; set; } = Task.FromResult<FoundToc?>(null);
#pragma warning disable CA1051 // Interlocked needs the field
        public long HeldBytes;
#pragma warning restore CA1051
    }
}
