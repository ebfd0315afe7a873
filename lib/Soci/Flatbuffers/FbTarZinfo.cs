using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>zinfo.TarZinfo { version:int32 (0); span_size:int64 (1); size:int64 (2); } (zinfo.fbs).</summary>
internal static class FbTarZinfo
{
    private const int Version = 0, SpanSize = 1, Size = 2;

    public static (int Version, long SpanSize, long Size) Read(byte[] bytes)
    {
        var bb = new ByteBuffer(bytes);
        var verifier = new Verifier(bb);
        if (!verifier.VerifyBuffer(null, false, Verify))
        {
            throw new InvalidDataException("uncompressed-layer checkpoints are not a valid TarZinfo flatbuffer");
        }
        var t = new Table(bb.GetInt(bb.Position) + bb.Position, bb);
        return (t.Int(Version), t.Long(SpanSize), t.Long(Size));
    }

    private static bool Verify(Verifier v, uint pos) =>
        v.VerifyTableStart(pos)
        && v.VerifyField(pos, (short)FbTableExtensions.Slot(Version), 4, 4, false)
        && v.VerifyField(pos, (short)FbTableExtensions.Slot(SpanSize), 8, 8, false)
        && v.VerifyField(pos, (short)FbTableExtensions.Slot(Size), 8, 8, false)
        && v.VerifyTableEnd(pos);

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
