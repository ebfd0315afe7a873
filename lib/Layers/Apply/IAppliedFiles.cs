namespace PluggableSnapshotter.Layers;

/// <summary>
/// Told by the applier, as it unpacks, which regular files are written and closed (no byte of them changes after), so a
/// caller can read them before the whole layer is done: the lazy backends' fill serves reads from them once the
/// compressed bytes they came from are verified. Called on the unpacking thread.
/// </summary>
public interface IAppliedFiles
{
    /// <summary>A regular file (not sparse) is written and closed, in the staging directory renamed into place at the end.</summary>
    void FileWritten(AppliedFile file);

    /// <summary>
    /// An entry is about to remove something written before (a name given twice, a whiteout or a directory replacing a
    /// name of this layer): a file reported before may no longer be where it was written.
    /// </summary>
    void EntryReplaced();
}
