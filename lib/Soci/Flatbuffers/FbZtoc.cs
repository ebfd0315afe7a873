using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>table Ztoc (root): version (0), build_tool_identifier (1), compressed_archive_size (2),
/// uncompressed_archive_size (3), toc (4), compression_info (5).</summary>
internal static class FbZtoc
{
    private const int Version = 0, BuildToolIdentifier = 1, CompressedArchiveSize = 2, UncompressedArchiveSize = 3,
        Toc = 4, CompressionInfo = 5;

    public static Table Root(ByteBuffer bb) => new(bb.GetInt(bb.Position) + bb.Position, bb);

    public static Ztoc Read(Table t)
    {
        Table? toc = t.SubTable(Toc);
        Table? info = t.SubTable(CompressionInfo);
        return new Ztoc
        {
            Version = t.String(Version),
            BuildToolIdentifier = t.String(BuildToolIdentifier),
            CompressedArchiveSize = t.Long(CompressedArchiveSize),
            UncompressedArchiveSize = t.Long(UncompressedArchiveSize),
            Files = toc is { } tt ? FbToc.Read(tt) : [],
            CompressionInfo = info is { } it
                ? FbCompressionInfo.Read(it)
                : throw new InvalidDataException("zTOC has no compression_info"),
        };
    }

    /// <summary>Proves every offset of the whole zTOC lies inside the buffer, before anything reads it.</summary>
    public static void Verify(byte[] buffer)
    {
        var v = new FbVerifier(buffer, "zTOC");
        int root = v.Root();
        v.String(root, Version);
        v.String(root, BuildToolIdentifier);
        v.Scalar(root, CompressedArchiveSize, 8);
        v.Scalar(root, UncompressedArchiveSize, 8);
        v.SubTable(root, Toc, t => FbToc.Verify(v, t));
        v.SubTable(root, CompressionInfo, c => FbCompressionInfo.Verify(v, c));
    }

    /// <summary>Builds the whole buffer in the order SOCI's marshaler uses.</summary>
    public static byte[] Write(Ztoc ztoc)
    {
        var b = new FlatBufferBuilder(64 * 1024 + ztoc.CompressionInfo.Checkpoints.Length);
        StringOffset version = b.CreateString(ztoc.Version);
        StringOffset tool = b.CreateString(ztoc.BuildToolIdentifier);
        int toc = FbToc.Write(b, ztoc.Files);
        int info = FbCompressionInfo.Write(b, ztoc.CompressionInfo);
        b.StartTable(6);
        b.AddOffset(Version, version.Value, 0);
        b.AddOffset(BuildToolIdentifier, tool.Value, 0);
        b.AddOffset(Toc, toc, 0);
        b.AddLong(CompressedArchiveSize, ztoc.CompressedArchiveSize, 0);
        b.AddLong(UncompressedArchiveSize, ztoc.UncompressedArchiveSize, 0);
        b.AddOffset(CompressionInfo, info, 0);
        b.Finish(b.EndTable());
        return b.SizedByteArray();
    }
}
