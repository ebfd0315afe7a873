using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// How a format hands a fill's unpack the layer's uncompressed tar without inflating the whole blob again: what
/// on-demand reads decompressed and kept is read back, and only the rest is decoded from the blob's bytes as the fill's
/// download brings them. Without one, the fill inflates its download front to back.
/// </summary>
public interface IArchiveSource
{
    /// <summary>
    /// The layer's uncompressed tar, read front to back; what it decodes itself it reads from <paramref name="download"/>,
    /// waiting for the bytes. Every byte it gives comes from bytes checked against the format's own digests.
    /// </summary>
    Stream OpenArchive(BlobDownload download);
}
