namespace PluggableSnapshotter.LazyLayers;

/// <summary>Where a read of a lazy layer's file took its bytes (the <c>source</c> of the served-bytes counter).</summary>
public enum ContentSource
{
    /// <summary>A span decompressed in memory (just now, or kept in the span cache).</summary>
    Decompressed,

    /// <summary>The layer's decompressed spans kept on disk.</summary>
    Disk,

    /// <summary>A file the running fill unpacked (<see cref="Fill.UnpackedFiles"/>).</summary>
    Unpacked,
}
