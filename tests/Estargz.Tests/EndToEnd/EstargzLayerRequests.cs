using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>Prepares of the eStargz test image's layers as <c>ctr-remote image rpull</c> labels them.</summary>
internal static class EstargzLayerRequests
{
    /// <summary>
    /// A Prepare of layer 1 (/data) of <paramref name="image"/>, with the image named <paramref name="reference"/> in
    /// its labels (another registry, to test one that cannot be reached), its mount point under <paramref name="root"/>.
    /// </summary>
    public static async Task<LayerRequest> LayerOneAsync(RegistryClient registry, string image, string reference, string root, CancellationToken ct)
    {
        var resolved = await registry.ResolveAsync(ImageReference.Parse(image), null, ct);
        var id = Guid.NewGuid().ToString("N")[..8];
        var layer = resolved.Manifest.Layers[1];
        return new LayerRequest
        {
            Mountpoint = Directory.CreateDirectory(Path.Combine(root, "snapshots", id, "fs")).FullName,
            Key = $"test/{id}/extract",
            Namespace = "test",
            Labels = new Dictionary<string, string>
            {
                [SnapshotLabels.StargzReference] = reference,
                [SnapshotLabels.StargzDigest] = layer.Digest,
                [SnapshotLabels.StargzLayers] = string.Join(',', resolved.Manifest.Layers.Select(l => l.Digest)),
                [EstargzLabels.TocDigest] = layer.Annotations![EstargzLabels.TocDigest],
            },
        };
    }
}
