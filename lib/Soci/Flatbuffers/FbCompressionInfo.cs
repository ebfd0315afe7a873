using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>table CompressionInfo { compression_algorithm (0) = Gzip; max_span_id (1); span_digests (2); checkpoints (3); }</summary>
internal static class FbCompressionInfo
{
    private const int Algorithm = 0, MaxSpanId = 1, SpanDigests = 2, Checkpoints = 3;

    public static CompressionInfo Read(Table t)
    {
        int digestCount = t.VectorLength(SpanDigests);
        var digests = new string[digestCount];
        for (int i = 0; i < digestCount; i++)
        {
            digests[i] = t.StringAt(SpanDigests, i);
        }
        return new CompressionInfo
        {
            Algorithm = (CompressionAlgorithm)t.Sbyte(Algorithm, (sbyte)CompressionAlgorithm.Gzip),
            MaxSpanId = t.Int(MaxSpanId),
            SpanDigests = digests,
            Checkpoints = t.Bytes(Checkpoints),
        };
    }

    public static void Verify(FbVerifier v, int table)
    {
        v.Scalar(table, Algorithm, 1);
        v.Scalar(table, MaxSpanId, 4);
        v.StringVector(table, SpanDigests);
        v.ByteVector(table, Checkpoints);
    }

    public static int Write(FlatBufferBuilder b, CompressionInfo info)
    {
        VectorOffset checkpoints = b.CreateByteVector(info.Checkpoints);
        var digestOffsets = new int[info.SpanDigests.Count];
        for (int i = 0; i < digestOffsets.Length; i++)
        {
            digestOffsets[i] = b.CreateString(info.SpanDigests[i]).Value;
        }
        VectorOffset digests = b.CreateOffsetVector(digestOffsets);
        b.StartTable(4);
        b.AddInt(MaxSpanId, info.MaxSpanId, 0);
        b.AddOffset(SpanDigests, digests.Value, 0);
        b.AddOffset(Checkpoints, checkpoints.Value, 0);
        b.AddSbyte(Algorithm, (sbyte)info.Algorithm, (sbyte)CompressionAlgorithm.Gzip);
        return b.EndTable();
    }
}
