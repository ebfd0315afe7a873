using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Layers;

/// <summary>What applying a layer did, and where the time went.</summary>
public sealed record LayerApplyResult
{
    /// <summary>sha256 of the uncompressed tar (<c>sha256:&lt;hex&gt;</c>); null when not asked for (<see cref="LayerApplyOptions.ComputeDiffId"/>).</summary>
    public required string? DiffId { get; init; }

    /// <summary>Size of the uncompressed tar.</summary>
    public required long UncompressedSize { get; init; }

    /// <summary>The compression the layer had.</summary>
    public required LayerCompression Compression { get; init; }

    /// <summary>Tar entries applied.</summary>
    public required int Entries { get; init; }

    /// <summary>Time spent waiting for tar bytes: fetching, verifying and decompressing.</summary>
    public required TimeSpan ReadTime { get; init; }

    /// <summary>Time spent creating files and setting their metadata.</summary>
    public required TimeSpan WriteTime { get; init; }

    /// <summary>Wall time of the whole apply.</summary>
    public required TimeSpan TotalTime { get; init; }
}
