using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.WarmUp;

/// <summary>
/// The warm-up's made-up image: one small gzip layer with every entry type a zTOC carries, its zTOC, and the documents
/// of an image as psoci converts one (a tagged image index listing the manifest and the SOCI index), served by a
/// <see cref="WarmUpRegistry"/>.
/// </summary>
internal static class MadeUpImage
{
    /// <summary>The repository it is published in.</summary>
    public const string Repository = "warm-up/soci";

    /// <summary>A small gzip layer with every entry type a zTOC carries, and its zTOC as psoci builds it.</summary>
    public static async Task<(byte[] Ztoc, byte[] Blob)> LayerAsync(CancellationToken cancellationToken)
    {
        using var blob = new MemoryStream();
        var gzip = new GZipStream(blob, CompressionLevel.Fastest, leaveOpen: true);
        await using (gzip.ConfigureAwait(false))
        {
            var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true);
            await using var tarDisposal = tar.ConfigureAwait(false);
            var time = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.Directory, "etc/") { Mode = (UnixFileMode)0x1ED, ModificationTime = time }, cancellationToken)
                .ConfigureAwait(false);
            var xattrs = new Dictionary<string, string> { [PaxRecord.XattrPrefix + "user.warm"] = "up" };
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "etc/hostname", xattrs)
            {
                Mode = (UnixFileMode)0x1A4, ModificationTime = time, DataStream = new MemoryStream("warm-up\n"u8.ToArray()),
            }, cancellationToken).ConfigureAwait(false);
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.HardLink, "etc/hostname.link") { LinkName = "etc/hostname" }, cancellationToken).ConfigureAwait(false);
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.SymbolicLink, "etc/name") { LinkName = "hostname" }, cancellationToken).ConfigureAwait(false);
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "etc/.wh.gone") { Mode = (UnixFileMode)0x1A4 }, cancellationToken).ConfigureAwait(false);
            await tar.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "var/lib/.wh..wh..opq") { Mode = (UnixFileMode)0x1A4 }, cancellationToken)
                .ConfigureAwait(false);
        }
        blob.Position = 0;
        var ztoc = await ZtocBuilder.BuildAsync(blob, LayerCompression.Gzip, new ZtocBuildOptions { SpanSize = 64 * 1024 }, cancellationToken).ConfigureAwait(false);
        return (ZtocSerializer.Serialize(ztoc), blob.ToArray());
    }

    /// <summary>
    /// An image as psoci converts one, on <paramref name="server"/>: a tagged image index listing the manifest (for this
    /// machine's platform) and the SOCI index beside it, the manifest naming its index, its config, the index and the zTOC.
    /// </summary>
    /// <returns>The tag.</returns>
    public static string Publish(WarmUpRegistry server, Descriptor layer, byte[] blob, byte[] ztoc)
    {
        var ztocDigest = OciDigest.Compute(ztoc).ToString();
        var index = IndexJson(ztocDigest, ztoc.Length, layer);
        var indexDigest = OciDigest.Compute(index).ToString();
        var config = Encoding.UTF8.GetBytes($$$"""
            {"architecture":"{{{Platform.Current.Architecture}}}","os":"linux","rootfs":{"type":"layers","diff_ids":["{{{layer.Digest}}}"]}}
            """);
        var configDigest = OciDigest.Compute(config).ToString();
        var manifest = Encoding.UTF8.GetBytes($$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}",
             "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{configDigest}}}","size":{{{config.Length}}} },
             "layers":[{"mediaType":"{{{layer.MediaType}}}","digest":"{{{layer.Digest}}}","size":{{{layer.Size}}} }],
             "annotations":{"{{{SociAnnotations.IndexDigest}}}":"{{{indexDigest}}}"}}
            """);
        var manifestDigest = OciDigest.Compute(manifest).ToString();
        var variant = Platform.Current.Variant is { } v ? $",\"variant\":\"{v}\"" : "";
        var imageIndex = Encoding.UTF8.GetBytes($$$"""
            {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciIndex}}}","manifests":[
             {"mediaType":"{{{MediaTypes.OciManifest}}}","digest":"{{{manifestDigest}}}","size":{{{manifest.Length}}},
              "platform":{"architecture":"{{{Platform.Current.Architecture}}}","os":"linux"{{{variant}}} }},
             {"mediaType":"{{{MediaTypes.OciManifest}}}","artifactType":"{{{SociMediaTypes.IndexV2}}}","digest":"{{{indexDigest}}}","size":{{{index.Length}}},
              "platform":{"architecture":"{{{Platform.Current.Architecture}}}","os":"linux"{{{variant}}} }}]}
            """);
        const string tag = "latest";
        server.Add(Repository, "manifests", tag, MediaTypes.OciIndex, imageIndex, OciDigest.Compute(imageIndex).ToString());
        server.Add(Repository, "manifests", manifestDigest, MediaTypes.OciManifest, manifest, manifestDigest);
        server.Add(Repository, "manifests", indexDigest, MediaTypes.OciManifest, index, indexDigest);
        server.Add(Repository, "blobs", configDigest, "application/octet-stream", config, configDigest);
        server.Add(Repository, "blobs", ztocDigest, "application/octet-stream", ztoc, ztocDigest);
        server.Add(Repository, "blobs", layer.Digest, layer.MediaType, blob, layer.Digest);
        return tag;
    }

    private static byte[] IndexJson(string ztocDigest, long ztocSize, Descriptor layer) => Encoding.UTF8.GetBytes($$$"""
        {"schemaVersion":2,"mediaType":"{{{MediaTypes.OciManifest}}}","artifactType":"{{{SociMediaTypes.IndexV2}}}",
         "config":{"mediaType":"{{{SociMediaTypes.IndexV2}}}","digest":"{{{SociMediaTypes.EmptyJsonDigest}}}","size":2},
         "layers":[{"mediaType":"{{{SociMediaTypes.Ztoc}}}","digest":"{{{ztocDigest}}}","size":{{{ztocSize}}},
           "annotations":{"{{{SociAnnotations.ImageLayerDigest}}}":"{{{layer.Digest}}}","{{{SociAnnotations.ImageLayerMediaType}}}":"{{{layer.MediaType}}}"}}]}
        """);
}
