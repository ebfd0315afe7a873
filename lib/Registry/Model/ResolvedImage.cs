namespace PluggableSnapshotter.Registry;

/// <summary>An image reference resolved to one platform's manifest.</summary>
public sealed record ResolvedImage
{
    /// <summary>The reference that was resolved, pinned to the manifest's digest.</summary>
    public required ImageReference Reference { get; init; }

    /// <summary>The image index the manifest was selected from, when the reference named an index.</summary>
    public Descriptor? Index { get; init; }

    /// <summary>The descriptor of the selected image manifest.</summary>
    public required Descriptor ManifestDescriptor { get; init; }

    /// <summary>The manifest, parsed.</summary>
    public required ImageManifest Manifest { get; init; }

    /// <summary>The manifest's bytes exactly as the registry served them (their digest was verified).</summary>
    public required ReadOnlyMemory<byte> ManifestBytes { get; init; }
}
