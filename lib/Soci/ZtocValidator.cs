using System.Diagnostics.CodeAnalysis;
using PluggableSnapshotter.Soci.Flatbuffers;
using PluggableSnapshotter.Soci.Gzip;

namespace PluggableSnapshotter.Soci;

/// <summary>
/// Checks a decoded zTOC against itself: entries inside the archive, in order and not overlapping, spans and
/// digests consistent with the checkpoints, checkpoint blob length and layout. A hostile zTOC gets an
/// InvalidDataException naming the fault; nothing is allocated from a size it states.
/// </summary>
public static class ZtocValidator
{
    private const int TarBlock = 512;

    /// <summary>Returns the zTOC with entries sorted by offset and their tar header offsets derived.</summary>
    public static Ztoc Validate(Ztoc ztoc)
    {
        ArgumentNullException.ThrowIfNull(ztoc);
        if (ztoc.Version != Ztoc.CurrentVersion)
        {
            Fail($"zTOC version \"{ztoc.Version}\" is not supported (expected \"{Ztoc.CurrentVersion}\")");
        }
        if (ztoc.CompressedArchiveSize < 0 || ztoc.UncompressedArchiveSize < 0)
        {
            Fail($"zTOC archive sizes are negative ({ztoc.CompressedArchiveSize}, {ztoc.UncompressedArchiveSize})");
        }
        ValidateCompression(ztoc);
        return ztoc with { Files = ValidateEntries(ztoc.Files, ztoc.UncompressedArchiveSize) };
    }

    private static FileMetadata[] ValidateEntries(IReadOnlyList<FileMetadata> files, long archiveSize)
    {
        FileMetadata[] sorted = [.. files.OrderBy(f => f.UncompressedOffset)];
        long nextHeader = 0;
        for (int i = 0; i < sorted.Length; i++)
        {
            FileMetadata f = sorted[i];
            if (f.Name.Length == 0)
            {
                Fail($"zTOC entry at offset {f.UncompressedOffset} has no name");
            }
            if (!TarEntryTypes.IsKnown(f.Type))
            {
                Fail($"zTOC entry {f.Name} has unknown type \"{f.Type}\"");
            }
            if (f.UncompressedSize < 0 || f.UncompressedOffset % TarBlock != 0
                || f.UncompressedOffset > archiveSize || f.UncompressedSize > archiveSize - f.UncompressedOffset)
            {
                Fail($"zTOC entry {f.Name} (offset {f.UncompressedOffset}, size {f.UncompressedSize}) lies outside the {archiveSize}-byte tar stream");
            }
            if (f.UncompressedOffset - nextHeader < TarBlock)
            {
                Fail($"zTOC entry {f.Name} at offset {f.UncompressedOffset} overlaps the entry before it (its header cannot start before {nextHeader})");
            }
            sorted[i] = f with { TarHeaderOffset = nextHeader };
            nextHeader = AlignToBlock(f.UncompressedOffset + f.UncompressedSize);
        }
        return sorted;
    }

    private static void ValidateCompression(Ztoc ztoc)
    {
        CompressionInfo info = ztoc.CompressionInfo;
        if (info.MaxSpanId < 0 && !(info.MaxSpanId == -1 && info.Algorithm == CompressionAlgorithm.Uncompressed))
        {
            Fail($"zTOC max_span_id is {info.MaxSpanId}");
        }
        if (info.SpanDigests.Count != (long)info.MaxSpanId + 1)
        {
            Fail($"zTOC has {info.SpanDigests.Count} span digests for max_span_id {info.MaxSpanId}");
        }
        foreach (string digest in info.SpanDigests)
        {
            if (!Build.SpanDigest.IsWellFormed(digest))
            {
                Fail($"zTOC span digest \"{digest}\" is not sha256:<64 hex digits>");
            }
        }
        switch (info.Algorithm)
        {
            case CompressionAlgorithm.Gzip:
                GzipCheckpointTable table = GzipCheckpointTable.Parse(info.Checkpoints, ztoc.CompressedArchiveSize);
                if (table.Count != info.MaxSpanId + 1)
                {
                    Fail($"zTOC max_span_id {info.MaxSpanId} disagrees with its {table.Count} checkpoints");
                }
                break;
            case CompressionAlgorithm.Uncompressed:
                ValidateTarZinfo(ztoc, info);
                break;
            default:
                Fail($"zTOC compression algorithm {(int)info.Algorithm} is unknown");
                break;
        }
    }

    private static void ValidateTarZinfo(Ztoc ztoc, CompressionInfo info)
    {
        (int version, long spanSize, long size) = FbTarZinfo.Read(info.Checkpoints);
        if (version != Build.TarIndexer.TarZinfoVersion || spanSize <= 0)
        {
            Fail($"uncompressed-layer zinfo has version {version} and span size {spanSize}");
        }
        if (size != ztoc.CompressedArchiveSize || ztoc.UncompressedArchiveSize > size)
        {
            Fail($"uncompressed-layer zinfo size {size} disagrees with the archive sizes ({ztoc.CompressedArchiveSize}, {ztoc.UncompressedArchiveSize})");
        }
        long spans = (size / spanSize) + (size % spanSize == 0 ? 0 : 1);
        if (spans - 1 != info.MaxSpanId)
        {
            Fail($"zTOC max_span_id {info.MaxSpanId} disagrees with {spans} spans of {spanSize} bytes");
        }
    }

    internal static long AlignToBlock(long offset) => (offset + TarBlock - 1) / TarBlock * TarBlock;

    [DoesNotReturn]
    private static void Fail(string message) => throw new InvalidDataException(message);
}
