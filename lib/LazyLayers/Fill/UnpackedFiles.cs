using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Layers;

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
/// span that fails its digest, an entry that removes a name written before (the file may be gone or replaced). A file
/// is found by the tar offset of its data and opened at the very path the applier created it at, and only if that is
/// still the same regular file (<see cref="AppliedFile.OpenForRead"/>).
/// </remarks>
public sealed class UnpackedFiles : IAppliedFiles
{
    private readonly Dictionary<long, AppliedFile> _written = [];
    private readonly Lock _lock = new();
    private readonly LazyLayerMetrics? _metrics;
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

    void IAppliedFiles.FileWritten(AppliedFile file)
    {
        lock (_lock) _written[file.DataOffset] = file;
    }

    void IAppliedFiles.EntryReplaced() => TurnOff("an entry of the layer replaced a name written before");

    /// <summary>
    /// The unpacked file holding the layer's bytes at [<paramref name="dataOffset"/>, + <paramref name="size"/>) of its
    /// tar, when they are all verified, else null.
    /// </summary>
    public SafeFileHandle? Open(long dataOffset, long size)
    {
        if (_off) return null;
        AppliedFile? file;
        lock (_lock)
        {
            if (!_written.TryGetValue(dataOffset, out file) || file.Size != size || dataOffset + size > _verifiedEnd) return null;
        }
        var handle = file.OpenForRead();
        // Still on: nothing removed a name since the check above, so the file opened is the one written.
        if (handle is null || !_off) return handle;
        handle.Dispose();
        return null;
    }

    /// <summary>A read of <paramref name="bytes"/> was served from an unpacked file.</summary>
    public void Served(long bytes) => _metrics?.ContentRead(bytes, ContentSource.Unpacked);
}
