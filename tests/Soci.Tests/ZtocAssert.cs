namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Field-by-field zTOC comparison with messages that name the field.</summary>
public static class ZtocAssert
{
    public static void SameFields(Ztoc expected, Ztoc actual)
    {
        Assert.Equal(expected.Version, actual.Version);
        Assert.Equal(expected.BuildToolIdentifier, actual.BuildToolIdentifier);
        Assert.Equal(expected.CompressedArchiveSize, actual.CompressedArchiveSize);
        Assert.Equal(expected.UncompressedArchiveSize, actual.UncompressedArchiveSize);
        Assert.Equal(expected.CompressionInfo.Algorithm, actual.CompressionInfo.Algorithm);
        Assert.Equal(expected.CompressionInfo.MaxSpanId, actual.CompressionInfo.MaxSpanId);
        Assert.Equal(expected.CompressionInfo.SpanDigests, actual.CompressionInfo.SpanDigests);
        Assert.Equal(expected.CompressionInfo.Checkpoints.Length, actual.CompressionInfo.Checkpoints.Length);
        Assert.True(expected.CompressionInfo.Checkpoints.AsSpan().SequenceEqual(actual.CompressionInfo.Checkpoints), "checkpoint blobs differ");
        Assert.Equal(expected.Files.Count, actual.Files.Count);
        for (int i = 0; i < expected.Files.Count; i++)
        {
            SameEntry(expected.Files[i], actual.Files[i]);
        }
    }

    public static void SameEntry(FileMetadata e, FileMetadata a)
    {
        Assert.Equal(Describe(e), Describe(a));
        Assert.Equal(e.PaxRecords.Select(r => r.Key), a.PaxRecords.Select(r => r.Key));
        for (int i = 0; i < e.PaxRecords.Count; i++)
        {
            Assert.Equal(e.PaxRecords[i].Value, a.PaxRecords[i].Value);
        }
    }

    private static string Describe(FileMetadata f) =>
        $"{f.Name}|{f.Type}|off={f.UncompressedOffset}|size={f.UncompressedSize}|link={f.LinkName}|mode={f.Mode}|" +
        $"{f.Uid}:{f.Gid}|{f.Uname}:{f.Gname}|{f.ModTime}|dev={f.DevMajor},{f.DevMinor}|hdr={f.TarHeaderOffset}";
}
