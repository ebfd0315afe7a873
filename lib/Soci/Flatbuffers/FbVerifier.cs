using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>
/// Bounds checks for the few flatbuffer shapes zTOCs use (tables, scalars, strings, byte vectors, vectors of
/// strings and tables), done before any accessor runs. Everything a later read touches is proven inside the
/// buffer; vtable and field offsets are kept below 32 KiB because the runtime reads them as signed shorts.
/// (The runtime's own Verifier mishandles far-away shared vtables and writes to the console, so it is not used.)
/// </summary>
internal sealed class FbVerifier(byte[] buffer, string what)
{
    private const int MaxShortOffset = short.MaxValue;

    /// <summary>Position of the root table.</summary>
    public int Root()
    {
        Need(0, 4);
        return CheckTable(U32(0));
    }

    /// <summary>Checks the table at <paramref name="position"/>: its vtable and its extent.</summary>
    public int CheckTable(long position)
    {
        Need(position, 4);
        long vtable = position - BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan((int)position));
        Need(vtable, 4);
        int vtableSize = U16(vtable), tableSize = U16(vtable + 2);
        if (vtableSize < 4 || vtableSize % 2 != 0 || vtableSize > MaxShortOffset || tableSize < 4 || tableSize > MaxShortOffset)
        {
            Fail($"a table at {position} has a malformed vtable");
        }
        Need(vtable, vtableSize);
        Need(position, tableSize);
        return (int)position;
    }

    public void Scalar(int table, int id, int size) => FieldPosition(table, id, size);

    public void String(int table, int id)
    {
        if (FieldPosition(table, id, 4) is var f and >= 0)
        {
            StringAt(Indirect(f));
        }
    }

    public void ByteVector(int table, int id)
    {
        if (FieldPosition(table, id, 4) is var f and >= 0)
        {
            long vector = Indirect(f);
            Need(vector + 4, U32(vector));
        }
    }

    public void StringVector(int table, int id)
    {
        foreach (long element in VectorElements(table, id))
        {
            StringAt(Indirect(element));
        }
    }

    public void TableVector(int table, int id, Action<int> verifyElement)
    {
        foreach (long element in VectorElements(table, id))
        {
            verifyElement(CheckTable(Indirect(element)));
        }
    }

    public void SubTable(int table, int id, Action<int> verify)
    {
        if (FieldPosition(table, id, 4) is var f and >= 0)
        {
            verify(CheckTable(Indirect(f)));
        }
    }

    private IEnumerable<long> VectorElements(int table, int id)
    {
        long f = FieldPosition(table, id, 4);
        if (f < 0)
        {
            yield break;
        }
        long vector = Indirect(f);
        long count = U32(vector);
        Need(vector + 4, count * 4);
        for (long i = 0; i < count; i++)
        {
            yield return vector + 4 + (i * 4);
        }
    }

    /// <summary>Where field <paramref name="id"/> lies, or -1 when the table does not have it.</summary>
    private long FieldPosition(int table, int id, int size)
    {
        long vtable = table - BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(table));
        int slot = 4 + (2 * id);
        if (slot + 2 > U16(vtable))
        {
            return -1;
        }
        int offset = U16(vtable + slot);
        if (offset == 0)
        {
            return -1;
        }
        if (offset > MaxShortOffset || offset + size > U16(vtable + 2))
        {
            Fail($"field {id} of the table at {table} lies outside the table");
        }
        return table + offset;
    }

    private long Indirect(long position)
    {
        Need(position, 4);
        long target = position + U32(position);
        Need(target, 4);
        return target;
    }

    private void StringAt(long position)
    {
        long length = U32(position);
        Need(position + 4, length + 1);
        if (buffer[position + 4 + length] != 0)
        {
            Fail($"the string at {position} is not NUL-terminated");
        }
    }

    private long U32(long position)
    {
        Need(position, 4);
        return BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan((int)position));
    }

    private int U16(long position)
    {
        Need(position, 2);
        return BinaryPrimitives.ReadUInt16LittleEndian(buffer.AsSpan((int)position));
    }

    private void Need(long position, long length)
    {
        if (position < 0 || length < 0 || position > buffer.Length || length > buffer.Length - position)
        {
            Fail($"an offset or length points outside its {buffer.Length} bytes (at {position}, {length} bytes)");
        }
    }

    [DoesNotReturn]
    private void Fail(string message) => throw new InvalidDataException($"{what} is not a valid flatbuffer: {message}");
}
