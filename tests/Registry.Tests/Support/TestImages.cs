using System.Text;

namespace PluggableSnapshotter.Registry.Tests.Support;

/// <summary>Builds and pushes small images with the client under test.</summary>
public static class TestImages
{
    public static byte[] RandomBytes(int size, int seed)
    {
        var bytes = new byte[size];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    /// <summary>Pushes an image whose single "layer" is <paramref name="layer"/>; returns the manifest's descriptor.</summary>
    public static async Task<(Descriptor Manifest, Descriptor Layer)> PushAsync(
        RegistryClient client, ImageReference reference, byte[] layer, string architecture = "amd64")
    {
        var layerDescriptor = await client.PushBlobAsync(reference, layer, MediaTypes.OciLayerGzip, CancellationToken.None);
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"{{architecture}}","os":"linux","rootfs":{"type":"layers","diff_ids":["{{OciDigest.Compute(layer)}}"] } }""");
        var configDescriptor = await client.PushBlobAsync(reference, config, MediaTypes.OciConfig, CancellationToken.None);
        var manifest = OciJson.Serialize(new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = configDescriptor,
            Layers = [layerDescriptor],
        });
        var manifestDescriptor = await client.PushManifestAsync(reference, MediaTypes.OciManifest, manifest, CancellationToken.None);
        return (manifestDescriptor, layerDescriptor);
    }
}
