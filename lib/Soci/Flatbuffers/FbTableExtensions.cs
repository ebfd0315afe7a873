using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>Field access helpers over the runtime's Table, shared by the hand-written table accessors.</summary>
internal static class FbTableExtensions
{
    /// <summary>vtable slot of field <paramref name="id"/> (fields are numbered in schema order).</summary>
    public static int Slot(int id) => 4 + (2 * id);

    public static string String(this Table t, int id)
    {
        int o = t.__offset(Slot(id));
        return o != 0 ? t.__string(o + t.bb_pos) : "";
    }

    public static byte[] Bytes(this Table t, int id)
    {
        ArraySegment<byte>? segment = t.__vector_as_arraysegment(Slot(id));
        return segment is { } s ? s.ToArray() : [];
    }

    public static long Long(this Table t, int id, long defaultValue = 0)
    {
        int o = t.__offset(Slot(id));
        return o != 0 ? t.bb.GetLong(o + t.bb_pos) : defaultValue;
    }

    public static int Int(this Table t, int id, int defaultValue = 0)
    {
        int o = t.__offset(Slot(id));
        return o != 0 ? t.bb.GetInt(o + t.bb_pos) : defaultValue;
    }

    public static uint Uint(this Table t, int id)
    {
        int o = t.__offset(Slot(id));
        return o != 0 ? t.bb.GetUint(o + t.bb_pos) : 0;
    }

    public static sbyte Sbyte(this Table t, int id, sbyte defaultValue)
    {
        int o = t.__offset(Slot(id));
        return o != 0 ? t.bb.GetSbyte(o + t.bb_pos) : defaultValue;
    }

    public static int VectorLength(this Table t, int id)
    {
        int o = t.__offset(Slot(id));
        int length = o != 0 ? t.__vector_len(o) : 0;
        // A length the buffer cannot hold (4 bytes per element at least) means a corrupt vector.
        return length >= 0 && length <= t.bb.Length / 4
            ? length
            : throw new InvalidDataException($"zTOC flatbuffer has a vector of impossible length {length}");
    }

    /// <summary>The table at element <paramref name="index"/> of a vector of tables.</summary>
    public static Table TableAt(this Table t, int id, int index)
    {
        int o = t.__offset(Slot(id));
        return new Table(t.__indirect(t.__vector(o) + (index * 4)), t.bb);
    }

    public static string StringAt(this Table t, int id, int index)
    {
        int o = t.__offset(Slot(id));
        return t.__string(t.__vector(o) + (index * 4));
    }

    /// <summary>A sub-table field, or null when absent.</summary>
    public static Table? SubTable(this Table t, int id)
    {
        int o = t.__offset(Slot(id));
        return o != 0 ? new Table(t.__indirect(o + t.bb_pos), t.bb) : null;
    }

    /// <summary>Writes raw bytes as a flatbuffers string (a byte vector with a trailing NUL).</summary>
    public static StringOffset CreateStringBytes(this FlatBufferBuilder builder, byte[] value)
    {
        builder.NotNested();
        builder.AddByte(0);
        builder.StartVector(1, value.Length, 1);
        if (value.Length > 0)
        {
            builder.Put(value);
        }
        return new StringOffset(builder.EndVector().Value);
    }

    public static VectorOffset CreateByteVector(this FlatBufferBuilder builder, byte[] value)
    {
        builder.StartVector(1, value.Length, 1);
        if (value.Length > 0)
        {
            builder.Put(value);
        }
        return builder.EndVector();
    }

    public static VectorOffset CreateOffsetVector(this FlatBufferBuilder builder, IReadOnlyList<int> offsets)
    {
        builder.StartVector(4, offsets.Count, 4);
        for (int i = offsets.Count - 1; i >= 0; i--)
        {
            builder.AddOffset(offsets[i]);
        }
        return builder.EndVector();
    }
}
