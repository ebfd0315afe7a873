using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>One layer in the <see cref="LayerStore"/>; every member is guarded by the store's lock.</summary>
internal sealed class StoredLayer(string digest, string directory)
{
    /// <summary>The layer blob's digest (the store's key: layers are content-addressed, so it names the same bytes everywhere).</summary>
    public string Digest { get; } = digest;

    /// <summary>The layer's folder in the store.</summary>
    public string Directory { get; } = directory;

    public LayerState State { get; set; } = LayerState.Lazy;

    /// <summary>The compressed blob's size.</summary>
    public long BytesTotal { get; set; }

    /// <summary>Compressed bytes fetched and kept so far (the whole blob once local).</summary>
    public Func<long>? Progress { get; set; }

    /// <summary>Bytes on disk (or reserved for a fill in progress).</summary>
    public long DiskBytes { get; set; }

    /// <summary>Why the last fill failed.</summary>
    public string? Error { get; set; }

    /// <summary>The SOCI index the layer was mounted from (kept in the snapshot labels as well).</summary>
    public string? IndexDigest { get; set; }

    /// <summary>Mount points serving the layer now.</summary>
    public HashSet<string> Users { get; } = new(StringComparer.Ordinal);

    /// <summary>Images (manifest digest or reference) that used the layer.</summary>
    public HashSet<string> Images { get; } = new(StringComparer.Ordinal);

    /// <summary>When the layer was last mounted or released (eviction order).</summary>
    public DateTimeOffset LastUsed { get; set; } = DateTimeOffset.UtcNow;

    /// <summary>The layer blob's media type (local layers).</summary>
    public string MediaType { get; set; } = "";

    /// <summary>The zTOC kept beside a local layer, so that it mounts again with no network.</summary>
    public string? ZtocDigest { get; set; }

    /// <summary>The compressed bytes fetched so far (readers and fill), while the layer is not local; opened on first use.</summary>
    public PartialBlob? Partial { get; set; }

    /// <summary>
    /// The partial blob of a layer just made local, its files in the trash already: readers of the layer's mounts still
    /// take their bytes from it (not from the registry) while the mounts switch to the local copy; closed when the
    /// store deletes those files.
    /// </summary>
    public PartialBlob? Retiring { get; set; }

    /// <summary>The decompressed spans kept while the layer is not local; opened on first use.</summary>
    public DecompressedSpans? Decompressed { get; set; }

    /// <summary>Uncompressed bytes an earlier run kept in <c>tar.partial</c> (counted until the file is opened).</summary>
    public long DecompressedRecorded { get; set; }

    /// <summary>Compressed bytes an earlier run (or this one, before the file was closed) kept in <c>blob.partial</c>, counted until the file is opened.</summary>
    public long PartialBytesRecorded { get; set; }

    /// <summary>
    /// Bytes on disk: what <see cref="DiskBytes"/> holds or reserves (a fill reserves the whole blob), or the partial blob
    /// when that is more (a layer read only on demand reserves nothing), plus the decompressed spans.
    /// </summary>
    public long UsedBytes => Math.Max(DiskBytes, Partial?.BytesPresent ?? PartialBytesRecorded) + (Decompressed?.BytesPresent ?? DecompressedRecorded);

    /// <summary>A <c>layer.json</c> with the zTOC beside it is written for the layer not local yet (it mounts again offline).</summary>
    public bool PartialRecorded { get; set; }

    /// <summary>The image's layers below this one that the index serves, nearest first (for implicit directories' attributes).</summary>
    public IReadOnlyList<string> Lowers { get; set; } = [];

    public string ZtocPath => Path.Combine(Directory, "ztoc");

    public string FsPath => Path.Combine(Directory, "fs");

    public string BlobPath => Path.Combine(Directory, "blob.partial");

    public string DecompressedPath => Path.Combine(Directory, "tar.partial");

    public string RecordPath => Path.Combine(Directory, "layer.json");

    public long BytesLocal => State == LayerState.Local ? BytesTotal : Partial?.BytesPresent ?? Progress?.Invoke() ?? 0;
}
