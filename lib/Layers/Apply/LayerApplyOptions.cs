namespace PluggableSnapshotter.Layers;

/// <summary>How a layer is applied.</summary>
public sealed record LayerApplyOptions
{
    /// <summary>The layer's diff ID (sha256 of the uncompressed tar) from the image config; checked when given.</summary>
    public string? ExpectedDiffId { get; init; }

    /// <summary>
    /// Mark opaque directories with <c>user.overlay.opaque</c> instead of <c>trusted.overlay.opaque</c>, for overlay
    /// mounted with <c>userxattr</c> (soci-formats.md, overlay conventions).
    /// </summary>
    public bool UserXattr { get; init; }

    /// <summary>
    /// The lower layers' directories, top-most first (an overlay mount's <c>lowerdir</c>). A directory the archive needs but
    /// does not contain takes its owner, mode, times and non-trusted xattrs from the first lower layer that has it, as
    /// containerd's applier does; without one it is created root-owned 0755.
    /// </summary>
    public IReadOnlyList<string> ParentDirectories { get; init; } = [];

    /// <summary>The layer blob's media type; picks the decompressor (null: sniff the magic bytes).</summary>
    public string? MediaType { get; init; }

    /// <summary>
    /// null (foreground pulls: the local and parallel-pull backends): the apply runs on the thread pool at the process's
    /// priority. A nice value (1-19; a background fill): decompression with the diff ID hash, and tar parsing with the
    /// file writes, run on two threads of their own that lower themselves to it (in a real-time process: to the lowest
    /// real-time priority), so that they take only the CPU foreground work leaves. The blob's download stays as it is.
    /// </summary>
    public int? LowPriorityNice { get; init; }
}
