namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// Where the bytes of a lazily served layer's regular files come from: the one thing a lazy format supplies to the
/// shared FUSE nodes. The soci backend reads zTOC spans of the gzip stream, the estargz backend reads the TOC's chunks.
/// Offsets are in the format's own content space: a file's bytes are [<see cref="Tree.LayerInode.DataOffset"/>,
/// DataOffset + Size), as the format's tree builder set them.
/// </summary>
public interface ILayerContent
{
    /// <summary>The layer blob's digest (for logs and the store).</summary>
    string LayerDigest { get; }

    /// <summary>The layer's unpacked, verified tree in the store once it is local, else null (files open from there); set when the layer is promoted to its local copy.</summary>
    string? LocalRoot { get; set; }

    /// <summary>Copies the bytes at <paramref name="offset"/> of the content space into all of <paramref name="destination"/>.</summary>
    /// <exception cref="InvalidDataException">Fetched bytes do not match their digest (never served).</exception>
    /// <exception cref="IOException">The registry did not answer within the fetch deadline.</exception>
    Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);

    /// <summary>
    /// The files the layer's running fill has unpacked (null when no fill runs, or the format cannot check what the fill
    /// unpacks): a file found there holds verified bytes and is read instead of the content space.
    /// </summary>
    Fill.UnpackedFiles? Unpacking => null;
}
