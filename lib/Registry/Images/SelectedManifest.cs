namespace PluggableSnapshotter.Registry.Images;

/// <summary>One image manifest picked by <see cref="ImageCatalog.SelectAsync"/>, with its bytes and platform.</summary>
/// <param name="Descriptor">The manifest's descriptor (from the index, or for a lone manifest the fetched one, with its platform).</param>
/// <param name="Bytes">The manifest's bytes as served (digest verified).</param>
/// <param name="Manifest">The manifest, parsed.</param>
/// <param name="Platform">Its platform: from the index, or for a lone manifest from its config; null when neither says.</param>
public sealed record SelectedManifest(Descriptor Descriptor, byte[] Bytes, ImageManifest Manifest, Platform? Platform)
{
    /// <summary>The platform for messages.</summary>
    public string PlatformText => Platform?.ToString() ?? "unknown platform";
}
