namespace PluggableSnapshotter.Layers;

/// <summary>How a layer is applied.</summary>
public sealed record LayerApplyOptions
{
    /// <summary>The layer's diff ID (sha256 of the uncompressed tar) from the image config; checked when given.</summary>
    public string? ExpectedDiffId { get; init; }

    /// <summary>
    /// Hash the uncompressed tar for its diff ID (the default). False, without <see cref="ExpectedDiffId"/>: no diff ID is
    /// computed (<see cref="LayerApplyResult.DiffId"/> is null), which saves a SHA-256 pass over every uncompressed byte,
    /// for a caller whose blob stream checks the compressed blob's digest, which fixes the tar already.
    /// </summary>
    public bool ComputeDiffId { get; init; } = true;

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
    /// Awaited before each chunk (256 KiB) the applier decompresses: a background apply (the lazy backends' fill) holds
    /// itself back here while something more urgent needs the CPUs. The decompression, and the unpack behind it, stop
    /// within a few chunks and go on where they were. Null: never held back.
    /// </summary>
    public Func<CancellationToken, ValueTask>? HoldBack { get; init; }

    /// <summary>Told of each regular file once it is written and closed, and of entries that remove a name written before (null: nobody asks).</summary>
    public IAppliedFiles? AppliedFiles { get; init; }
}
