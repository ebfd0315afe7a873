using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.LazyLayers.Fill;

/// <summary>
/// The files a running fill has unpacked so far, which reads may take instead of decompressing spans again: a file is
/// served from the fill's staging directory once the applier closed it (<see cref="IAppliedFiles"/>) and the compressed
/// bytes it was decompressed from passed their span digests on their way into the unpack (<see cref="VerifiedThrough"/>,
/// told by the format's check of the fill's blob stream). The blob's own digest is checked only at the end of the fill;
/// until then a span digest is what every on-demand read trusts, and these files are held to the same.
/// </summary>
/// <remarks>
/// Anything that could make a reported file other than what was verified turns this off for the rest of the fill: a
/// span that fails its digest, an entry that removes a name written before (the file may be gone or replaced). A file is
/// known by its inode, checked after the open, so a name that resolves to another file is never read.
/// </remarks>
public sealed class UnpackedFiles : IAppliedFiles
{
    private readonly Dictionary<long, (long Size, ulong Inode)> _written = [];
    private readonly Lock _lock = new();
    private readonly LazyLayerMetrics? _metrics;
    private string? _staging;
    private long _verifiedEnd;
    private volatile bool _off;

    public UnpackedFiles(LazyLayerMetrics? metrics = null) => _metrics = metrics;

    /// <summary>Why files are no longer served from here (null while they are).</summary>
    public string? OffBecause { get; private set; }

    /// <summary>Files reported written so far.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _written.Count;
        }
    }

    /// <summary>The uncompressed tar's bytes [0, <paramref name="end"/>) came from compressed bytes that matched their digests.</summary>
    public void VerifiedThrough(long end)
    {
        lock (_lock)
        {
            if (end > _verifiedEnd) _verifiedEnd = end;
        }
    }

    /// <summary>Stops serving files for the rest of this fill.</summary>
    public void TurnOff(string reason)
    {
        lock (_lock)
        {
            OffBecause ??= reason;
            _off = true;
        }
    }

    void IAppliedFiles.Staging(string directory)
    {
        lock (_lock) _staging = directory;
    }

    void IAppliedFiles.FileWritten(long dataOffset, long size, ulong inode)
    {
        lock (_lock) _written[dataOffset] = (size, inode);
    }

    void IAppliedFiles.EntryReplaced() => TurnOff("an entry of the layer replaced a name written before");

    /// <summary>
    /// The unpacked file at <paramref name="path"/> (relative to the layer's root) when it holds the verified bytes the
    /// layer has at [<paramref name="dataOffset"/>, + <paramref name="size"/>) of its tar, else null.
    /// </summary>
    public SafeFileHandle? Open(string path, long dataOffset, long size)
    {
        if (_off) return null;
        string staging;
        ulong inode;
        lock (_lock)
        {
            if (_staging is null || !_written.TryGetValue(dataOffset, out var file) || file.Size != size || dataOffset + size > _verifiedEnd) return null;
            (staging, inode) = (_staging, file.Inode);
        }
        SafeFileHandle? handle = null;
        try
        {
            handle = File.OpenHandle(Path.Join(staging, path), FileMode.Open, FileAccess.Read);
            // The inode says it is the file written from those bytes; still on means nothing replaced a name since.
            if (FileStatus.OfDescriptor((int)handle.DangerousGetHandle()).Inode == inode && !_off) return handle;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Gone (the fill finished and renamed its staging directory, or failed and removed it): read from the spans.
        }
        handle?.Dispose();
        return null;
    }

    /// <summary>A read of <paramref name="bytes"/> was served from an unpacked file.</summary>
    public void Served(long bytes) => _metrics?.ContentRead(bytes, ContentSource.Unpacked);
}
