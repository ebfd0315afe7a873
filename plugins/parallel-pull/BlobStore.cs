using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// The layer blobs being downloaded or kept, by digest, so that a layer two images share is fetched once. Jobs hold
/// references; a blob nobody holds is deleted when it failed or <c>discard_unpacked_layers</c> is set, and otherwise kept
/// (and reused) until every image that used it is cleaned.
/// </summary>
internal sealed class BlobStore(StateLayout layout, ParallelPullOptions options, ILogger<BlobStore> logger)
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, BlobDownload> _blobs = new(StringComparer.Ordinal);

    /// <summary>
    /// A reference to the download of <paramref name="blob"/> for an image; <c>Created</c> is true when the caller must
    /// start it (nobody had it, or its last download failed).
    /// </summary>
    public (BlobDownload Download, bool Created) Acquire(Descriptor blob, string? manifestDigest, string reference)
    {
        lock (_lock)
        {
            var created = false;
            if (!_blobs.TryGetValue(blob.Digest, out var download) || download.IsBroken)
            {
                if (download is { References: 0 }) download.Dispose();
                download = BlobDownload.Create(blob, layout.NewBlobPath(blob.ParsedDigest));
                _blobs[blob.Digest] = download;
                created = true;
            }
            else
            {
                ParallelPullLog.BlobShared(logger, blob.Digest, reference);
            }

            download.References++;
            if (!download.Images.Contains((manifestDigest, reference))) download.Images.Add((manifestDigest, reference));
            return (download, created);
        }
    }

    /// <summary>Drops a job's reference; the last one cancels an unfinished download and deletes what is not kept.</summary>
    public void Release(BlobDownload download)
    {
        lock (_lock)
        {
            if (--download.References > 0) return;
            var keep = !options.DiscardUnpackedLayers && download.Completion.IsCompletedSuccessfully;
            if (keep) return;
            if (_blobs.TryGetValue(download.Blob.Digest, out var current) && current == download) _blobs.Remove(download.Blob.Digest);
            download.Dispose();
        }
    }

    /// <summary>Forgets an image (by manifest digest or reference); kept blobs no remaining image used are deleted.</summary>
    public void ForgetImage(string image)
    {
        lock (_lock)
        {
            foreach (var (digest, download) in _blobs.ToList())
            {
                download.Images.RemoveAll(i => i.ManifestDigest == image || i.Reference == image);
                if (download.Images.Count > 0 || download.References > 0) continue;
                _blobs.Remove(digest);
                download.Dispose();
            }
        }
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
