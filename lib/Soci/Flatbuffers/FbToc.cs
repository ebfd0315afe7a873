using Google.FlatBuffers;

namespace PluggableSnapshotter.Soci.Flatbuffers;

/// <summary>table TOC { metadata:[FileMetadata] (0); }</summary>
internal static class FbToc
{
    private const int Metadata = 0;

    public static FileMetadata[] Read(Table t)
    {
        int count = t.VectorLength(Metadata);
        var files = new FileMetadata[count];
        for (int i = 0; i < count; i++)
        {
            files[i] = FbFileMetadata.Read(t.TableAt(Metadata, i));
        }
        return files;
    }

    public static void Verify(FbVerifier v, int table) => v.TableVector(table, Metadata, m => FbFileMetadata.Verify(v, m));

    public static int Write(FlatBufferBuilder b, IReadOnlyList<FileMetadata> files)
    {
        var offsets = new int[files.Count];
        for (int i = files.Count - 1; i >= 0; i--)
        {
            offsets[i] = FbFileMetadata.Write(b, files[i]);
        }
        VectorOffset metadata = b.CreateOffsetVector(offsets);
        b.StartTable(1);
        b.AddOffset(Metadata, metadata.Value, 0);
        return b.EndTable();
    }
}
