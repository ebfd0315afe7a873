using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluggableSnapshotter.TestSupport.Images;

namespace PluggableSnapshotter.Fidelity.Tests.Images;

/// <summary>
/// An OCI image layout made straight from tar archives, each a gzip layer, byte for byte as the tool that wrote the tar
/// made it (umoci would repack them through Go's archive/tar, which is exactly what must not happen to the corpus).
/// </summary>
public sealed record TarLayerImage(OciImage Image, IReadOnlyList<string> DiffIds)
{
    /// <summary>containerd's name for the committed snapshot of the top layer: the chain ID of the diff IDs (OCI image spec).</summary>
    public string TopChainId => DiffIds.Skip(1).Aggregate(DiffIds[0], (chain, diffId) =>
        "sha256:" + Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(chain + " " + diffId))));

    /// <summary>Chain ID of the layer below the top one (null for a single layer).</summary>
    public string? ParentChainId => DiffIds.Count < 2 ? null : (this with { DiffIds = DiffIds.SkipLast(1).ToList() }).TopChainId;

    /// <summary>Writes the layout under <paramref name="layoutPath"/> with the tag "v1".</summary>
    public static async Task<TarLayerImage> BuildAsync(string layoutPath, IReadOnlyList<string> tars, CancellationToken ct)
    {
        var blobs = Directory.CreateDirectory(Path.Combine(layoutPath, "blobs", "sha256")).FullName;
        await File.WriteAllTextAsync(Path.Combine(layoutPath, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""", ct);
        var layers = new JsonArray();
        var diffIds = new List<string>();
        foreach (var tar in tars)
        {
            diffIds.Add("sha256:" + Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(tar))));
            var compressed = new MemoryStream();
            await using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            await using (var source = File.OpenRead(tar))
            {
                await source.CopyToAsync(gzip, ct);
            }
            layers.Add(await WriteBlobAsync(blobs, compressed.ToArray(), "application/vnd.oci.image.layer.v1.tar+gzip", ct));
        }
        var config = new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject { ["Cmd"] = new JsonArray("/bin/sh") },
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = new JsonArray([.. diffIds.Select(d => JsonValue.Create(d))]) },
        };
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = await WriteBlobAsync(blobs, JsonSerializer.SerializeToUtf8Bytes(config), "application/vnd.oci.image.config.v1+json", ct),
            ["layers"] = layers,
        };
        var manifestDescriptor = await WriteBlobAsync(blobs, JsonSerializer.SerializeToUtf8Bytes(manifest), "application/vnd.oci.image.manifest.v1+json", ct);
        manifestDescriptor["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = "v1" };
        var index = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(manifestDescriptor) };
        await File.WriteAllBytesAsync(Path.Combine(layoutPath, "index.json"), JsonSerializer.SerializeToUtf8Bytes(index), ct);
        return new TarLayerImage(new OciImage(layoutPath, "v1"), diffIds);
    }

    private static async Task<JsonObject> WriteBlobAsync(string blobs, byte[] content, string mediaType, CancellationToken ct)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(content));
        await File.WriteAllBytesAsync(Path.Combine(blobs, hex), content, ct);
        return new JsonObject { ["mediaType"] = mediaType, ["digest"] = "sha256:" + hex, ["size"] = content.Length };
    }
}
