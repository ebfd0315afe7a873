using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>zinfo.TarZinfo { version:int32 (0); span_size:int64 (1); size:int64 (2); } (zinfo.fbs).</summary>
internal static class FbTarZinfo
{
    private const int Version = 0, SpanSize = 1, Size = 2;

    public static (int Version, long SpanSize, long Size) Read(byte[] bytes)
    {
        var v = new FbVerifier(bytes, "uncompressed-layer zinfo (TarZinfo)");
        int root = v.Root();
        v.Scalar(root, Version, 4);
        v.Scalar(root, SpanSize, 8);
        v.Scalar(root, Size, 8);
        var bb = new ByteBuffer(bytes);
        var t = new Table(root, bb);
        return (t.Int(Version), t.Long(SpanSize), t.Long(Size));
    }

    /// <summary>Builds the buffer in the order SOCI does (version, span_size, size), which gives its exact bytes.</summary>
    public static byte[] Write(int version, long spanSize, long size)
    {
        var b = new FlatBufferBuilder(64);
        b.StartTable(3);
        b.AddInt(Version, version, 0);
        b.AddLong(SpanSize, spanSize, 0);
        b.AddLong(Size, size, 0);
        b.Finish(b.EndTable());
        return b.SizedByteArray();
    }
}
