namespace PluggableSnapshotter.Soci.Gzip;

/// <summary>
/// A place where raw inflate can resume: compressed offset of the first full byte, uncompressed offset,
/// the bits of byte In-1 that still belong here, and the 32 KiB of output before Out (oldest first).
/// </summary>
public readonly record struct GzipCheckpoint(long In, long Out, byte Bits, ReadOnlyMemory<byte> Window)
{
    /// <summary>Where span data begins: one byte early when the checkpoint starts mid-byte.</summary>
    public long SpanStart => Bits != 0 ? In - 1 : In;
}
