namespace PluggableSnapshotter.Tar;

/// <summary>
/// A run of a sparse file's data: <see cref="Length"/> bytes stored in the archive that belong at <see cref="Offset"/>
/// of the file. Whatever no fragment covers is a hole (zeros).
/// </summary>
public readonly record struct SparseFragment(long Offset, long Length)
{
    public long End => Offset + Length;
}
