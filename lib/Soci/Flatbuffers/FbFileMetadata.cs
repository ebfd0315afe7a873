using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>table FileMetadata: field ids in schema order (ztoc.fbs).</summary>
internal static class FbFileMetadata
{
    private const int Name = 0, Type = 1, UncompressedOffset = 2, UncompressedSize = 3, LinkName = 4, Mode = 5,
        Uid = 6, Gid = 7, Uname = 8, Gname = 9, ModTime = 10, DevMajor = 11, DevMinor = 12, Xattrs = 13;

    private const int FieldCount = 14;

    public static FileMetadata Read(Table t)
    {
        int xattrCount = t.VectorLength(Xattrs);
        var records = new PaxRecord[xattrCount];
        for (int i = 0; i < xattrCount; i++)
        {
            records[i] = FbXattr.Read(t.TableAt(Xattrs, i));
        }
        return new FileMetadata
        {
            Name = t.String(Name),
            Type = t.String(Type),
            UncompressedOffset = t.Long(UncompressedOffset),
            UncompressedSize = t.Long(UncompressedSize),
            LinkName = t.String(LinkName),
            Mode = t.Long(Mode),
            Uid = t.Uint(Uid),
            Gid = t.Uint(Gid),
            Uname = t.String(Uname),
            Gname = t.String(Gname),
            ModTime = t.String(ModTime),
            DevMajor = t.Long(DevMajor),
            DevMinor = t.Long(DevMinor),
            PaxRecords = records,
        };
    }

    public static void Verify(FbVerifier v, int table)
    {
        foreach (int id in new[] { Name, Type, LinkName, Uname, Gname, ModTime })
        {
            v.String(table, id);
        }
        foreach (int id in new[] { UncompressedOffset, UncompressedSize, Mode, DevMajor, DevMinor })
        {
            v.Scalar(table, id, 8);
        }
        v.Scalar(table, Uid, 4);
        v.Scalar(table, Gid, 4);
        v.TableVector(table, Xattrs, x => FbXattr.Verify(v, x));
    }

    /// <summary>Builds the table in SOCI's order: strings and xattrs first, then the fields.</summary>
    public static int Write(FlatBufferBuilder b, FileMetadata m)
    {
        StringOffset name = b.CreateString(m.Name);
        StringOffset type = b.CreateString(m.Type);
        StringOffset linkName = b.CreateString(m.LinkName);
        StringOffset uname = b.CreateString(m.Uname);
        StringOffset gname = b.CreateString(m.Gname);
        StringOffset modTime = b.CreateString(m.ModTime);
        var xattrOffsets = new int[m.PaxRecords.Count];
        for (int i = 0; i < xattrOffsets.Length; i++)
        {
            xattrOffsets[i] = FbXattr.Write(b, m.PaxRecords[i]);
        }
        VectorOffset xattrs = b.CreateOffsetVector(xattrOffsets);

        b.StartTable(FieldCount);
        b.AddOffset(Name, name.Value, 0);
        b.AddOffset(Type, type.Value, 0);
        b.AddLong(UncompressedOffset, m.UncompressedOffset, 0);
        b.AddLong(UncompressedSize, m.UncompressedSize, 0);
        b.AddOffset(LinkName, linkName.Value, 0);
        b.AddLong(Mode, m.Mode, 0);
        b.AddUint(Uid, m.Uid, 0);
        b.AddUint(Gid, m.Gid, 0);
        b.AddOffset(Uname, uname.Value, 0);
        b.AddOffset(Gname, gname.Value, 0);
        b.AddOffset(ModTime, modTime.Value, 0);
        b.AddLong(DevMajor, m.DevMajor, 0);
        b.AddLong(DevMinor, m.DevMinor, 0);
        b.AddOffset(Xattrs, xattrs.Value, 0);
        return b.EndTable();
    }
}
