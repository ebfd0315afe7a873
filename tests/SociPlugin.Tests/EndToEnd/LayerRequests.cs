using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>Prepare requests as ctr-remote rpull labels them.</summary>
internal static class LayerRequests
{
    /// <summary>A Prepare of layer <paramref name="layerIndex"/> of <paramref name="image"/> on a fresh <c>&lt;root&gt;/snapshots/&lt;id&gt;/fs</c>.</summary>
    public static async Task<LayerRequest> CreateAsync(RegistryClient registry, string image, int layerIndex, string root, CancellationToken ct)
    {
        var resolved = await registry.ResolveAsync(ImageReference.Parse(image), null, ct);
        var id = Guid.NewGuid().ToString("N")[..8];
        var mountpoint = Directory.CreateDirectory(Path.Combine(root, "snapshots", id, "fs")).FullName;
        return new LayerRequest
        {
            Mountpoint = mountpoint,
            Key = $"test/{id}/extract",
            Namespace = "test",
            Labels = new Dictionary<string, string>
            {
                [SnapshotLabels.StargzReference] = image,
                [SnapshotLabels.StargzDigest] = resolved.Manifest.Layers[layerIndex].Digest,
                [SnapshotLabels.StargzLayers] = string.Join(',', resolved.Manifest.Layers.Select(l => l.Digest)),
            },
        };
    }

    /// <summary>The compressed size of the layer <paramref name="layer"/> names, from its image's manifest.</summary>
    public static async Task<long> SizeAsync(RegistryClient registry, LayerRequest layer, CancellationToken ct)
    {
        var resolved = await registry.ResolveAsync(ImageReference.Parse(layer.ImageReference!), null, ct);
        return resolved.Manifest.Layers.Single(l => l.Digest == layer.LayerDigest).Size;
    }
}
