using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>table Xattr { key:string (0); value:string (1); }</summary>
internal static class FbXattr
{
    private const int Key = 0;
    private const int Value = 1;

    public static PaxRecord Read(Table t) => new(t.String(Key), t.Bytes(Value));

    public static void Verify(FbVerifier v, int table)
    {
        v.String(table, Key);
        v.String(table, Value);
    }

    public static int Write(FlatBufferBuilder b, PaxRecord record)
    {
        StringOffset key = b.CreateString(record.Key);
        StringOffset value = b.CreateStringBytes(record.Value);
        b.StartTable(2);
        b.AddOffset(Key, key.Value, 0);
        b.AddOffset(Value, value.Value, 0);
        return b.EndTable();
    }
}
