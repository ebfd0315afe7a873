namespace PluggableSnapshotter.Layers;

/// <summary>
/// Told by the applier, as it unpacks, which regular files are written and closed (no byte of them changes after), so a
/// caller can read them before the whole layer is done: the lazy backends' fill serves reads from them once the
/// compressed bytes they came from are verified. Called on the unpacking thread.
/// </summary>
public interface IAppliedFiles
{
    /// <summary>The layer is being written into <paramref name="directory"/> (the staging directory renamed into place at the end).</summary>
    void Staging(string directory);

    /// <summary>
    /// The regular file whose data starts at <paramref name="dataOffset"/> in the uncompressed tar (<paramref name="size"/>
    /// bytes, not sparse) is written and closed, as inode <paramref name="inode"/> of the staging directory's file system.
    /// </summary>
    void FileWritten(long dataOffset, long size, ulong inode);

    /// <summary>
    /// An entry removed something written before (a name given twice, a whiteout or a directory replacing a name of this
    /// layer): a file reported before may no longer be where it was written.
    /// </summary>
    void EntryReplaced();
}
