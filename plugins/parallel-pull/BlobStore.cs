using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The layer blobs being downloaded or kept, by digest, so that a layer two images share is fetched once. Jobs hold
/// references; a blob nobody holds is deleted when it failed or <c>discard_unpacked_layers</c> is set, and otherwise kept
/// (and reused) until every image that used it is cleaned.
/// </summary>
internal sealed class BlobStore(StateLayout layout, ParallelPullOptions options, ILogger<BlobStore> logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Holders> _blobs = new(StringComparer.Ordinal);

    /// <summary>A download and who holds it; guarded by the store's lock.</summary>
    private sealed class Holders(BlobDownload download)
    {
        public BlobDownload Download { get; } = download;

        /// <summary>Jobs holding the download.</summary>
        public int References { get; set; }

        /// <summary>The images (manifest digest and reference) whose pulls used this blob.</summary>
        public List<(string? ManifestDigest, string Reference)> Images { get; } = [];
    }

    /// <summary>
    /// A reference to the download of <paramref name="blob"/> for an image; <c>Created</c> is true when the caller must
    /// start it (nobody had it, or its last download failed).
    /// </summary>
    public (BlobDownload Download, bool Created) Acquire(Descriptor blob, string? manifestDigest, string reference)
    {
        lock (_lock)
        {
            var created = false;
            if (!_blobs.TryGetValue(blob.Digest, out var holders) || holders.Download.IsBroken)
            {
                if (holders is { References: 0 }) holders.Download.Dispose();
                holders = new Holders(BlobDownload.Create(blob, layout.NewBlobPath(blob.ParsedDigest)));
                _blobs[blob.Digest] = holders;
                created = true;
            }
            else
            {
                ParallelPullLog.BlobShared(logger, blob.Digest, reference);
            }

            holders.References++;
            if (!holders.Images.Contains((manifestDigest, reference))) holders.Images.Add((manifestDigest, reference));
            return (holders.Download, created);
        }
    }

    /// <summary>Drops a job's reference; the last one cancels an unfinished download and deletes what is not kept.</summary>
    public void Release(BlobDownload download)
    {
        lock (_lock)
        {
            var current = _blobs.GetValueOrDefault(download.Blob.Digest);
            if (current?.Download != download)
            {
                download.Dispose(); // replaced after it broke: nobody else can hold it
                return;
            }
            if (--current.References > 0) return;
            // Kept only for an image still around: one cleaned while the blob was in use must not pin it.
            var keep = !options.DiscardUnpackedLayers && download.Completion.IsCompletedSuccessfully && current.Images.Count > 0;
            if (keep) return;
            _blobs.Remove(download.Blob.Digest);
            download.Dispose();
        }
    }

    /// <summary>Records that an image also uses the blob of <paramref name="blobDigest"/> (unpacked for another image's pull).</summary>
    public void AddImage(string blobDigest, string? manifestDigest, string reference)
    {
        lock (_lock)
        {
            if (_blobs.TryGetValue(blobDigest, out var holders) && !holders.Images.Contains((manifestDigest, reference)))
                holders.Images.Add((manifestDigest, reference));
        }
    }

    /// <summary>
    /// Forgets an image by every name it was pulled under (manifest digests and references); kept blobs no remaining image
    /// uses are deleted. Returns how many were.
    /// </summary>
    public int ForgetImage(IReadOnlySet<string> names)
    {
        var deleted = 0;
        lock (_lock)
        {
            foreach (var (digest, holders) in _blobs.ToList())
            {
                holders.Images.RemoveAll(i => (i.ManifestDigest is { } m && names.Contains(m)) || names.Contains(i.Reference));
                if (holders.Images.Count > 0 || holders.References > 0) continue;
                _blobs.Remove(digest);
                holders.Download.Dispose();
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>How many blobs are downloading or kept (for tests and logs).</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _blobs.Count;
        }
    }
}
