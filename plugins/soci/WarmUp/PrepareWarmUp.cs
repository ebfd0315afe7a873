using System.Formats.Tar;
using System.IO.Compression;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.WarmUp;

/// <summary>
/// The CPU work of a first Prepare, done once on a made-up layer with no I/O: a zTOC parsed and validated, its tree
/// built with the overlay conventions and the lowers' directory attributes, its FUSE nodes made and walked, a SOCI index
/// and an image manifest parsed, digests computed. What ReadyToRun leaves to the JIT (generic instantiations over
/// framework types, lambdas, the flatbuffers reader) is compiled here instead of in the first Prepare of the first pull.
/// Nothing is mounted, fetched or written.
/// </summary>
internal static class PrepareWarmUp
{
    private const string LayerDigest = "sha256:0000000000000000000000000000000000000000000000000000000000000001";

    /// <summary>Runs the made-up Prepare; returns how many entries its tree had (so the work cannot be optimised away).</summary>
    public static async Task<int> RunAsync(bool userXattr, CancellationToken cancellationToken)
    {
        var (ztocBytes, _) = await MadeUpLayerAsync(cancellationToken).ConfigureAwait(false);
        var ztocDigest = OciDigest.Compute(ztocBytes).ToString();
        var fetched = ZtocSource.Parse(ztocDigest, ztocBytes);
        cancellationToken.ThrowIfCancellationRequested();

        var lower = ZtocLayerEntries.BuildTree(fetched.Ztoc, userXattr);
        var tree = ZtocLayerEntries.BuildTree(fetched.Ztoc, userXattr);
        LowerDirectoryAttributes.Apply(tree, [lower]);
        _ = LayerContent.SpanLayout(fetched.Ztoc);
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = LayerDigest, Size = fetched.Ztoc.CompressedArchiveSize };
        var root = LayerView.Build(tree, OwnerMapping.Identity, new NoContent(), NullLogger.Instance);
        var entries = await WalkAsync(root, cancellationToken).ConfigureAwait(false);

        if (SociIndexManifest.Parse(IndexJson(ztocDigest, ztocBytes.Length, descriptor)).ZtocFor(LayerDigest) is null)
            throw new InvalidDataException("the warm-up's SOCI index lists no zTOC for its layer");
        _ = OciJson.Parse<ImageManifest>(ManifestJson(descriptor), "warm-up image manifest");
        return entries;
    }

    /// <summary>A small gzip layer with every entry type a zTOC carries, and its zTOC as psoci builds it.</summary>
    private static async Task<(byte[] Ztoc, byte[] Blob)> MadeUpLayerAsync(CancellationToken cancellationToken)
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

    /// <summary>Every node's attributes, lookups of each name and directory listings, as the kernel asks right after a mount.</summary>
    private static async Task<int> WalkAsync(LayerDirectoryNode root, CancellationToken cancellationToken)
    {
        var count = 0;
        var pending = new Stack<LayerDirectoryNode>([root]);
        while (pending.TryPop(out var directory))
        {
            _ = await directory.GetattrAsync(cancellationToken).ConfigureAwait(false);
            var listing = await directory.ReaddirAsync(cancellationToken).ConfigureAwait(false);
            if (!listing.IsSuccess) continue;
            foreach (var entry in listing.Value)
            {
                count++;
                var found = await directory.LookupAsync(entry.Name, cancellationToken).ConfigureAwait(false);
                if (!found.IsSuccess) continue;
                if (found.Value is LayerDirectoryNode child) pending.Push(child);
                else if (found.Value is PluggableSnapshotter.Fuse.INodeGetattrer node) _ = await node.GetattrAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        return count;
    }

    private static byte[] IndexJson(string ztocDigest, long ztocSize, Descriptor layer) => System.Text.Encoding.UTF8.GetBytes($$$"""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"{{{SociMediaTypes.IndexV2}}}",
         "config":{"mediaType":"{{{SociMediaTypes.IndexV2}}}","digest":"{{{SociMediaTypes.EmptyJsonDigest}}}","size":2},
         "layers":[{"mediaType":"{{{SociMediaTypes.Ztoc}}}","digest":"{{{ztocDigest}}}","size":{{{ztocSize}}},
           "annotations":{"{{{SociAnnotations.ImageLayerDigest}}}":"{{{layer.Digest}}}","{{{SociAnnotations.ImageLayerMediaType}}}":"{{{layer.MediaType}}}"}}]}
        """);

    private static byte[] ManifestJson(Descriptor layer) => System.Text.Encoding.UTF8.GetBytes($$$"""
        {"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
         "config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{{{layer.Digest}}}","size":2},
         "layers":[{"mediaType":"{{{layer.MediaType}}}","digest":"{{{layer.Digest}}}","size":{{{layer.Size}}} }],
         "annotations":{"{{{SociAnnotations.IndexDigest}}}":"{{{layer.Digest}}}"}}
        """);

    /// <summary>The made-up layer's bytes are never read.</summary>
    private sealed class NoContent : ILayerContent
    {
        public string LayerDigest => PrepareWarmUp.LayerDigest;

        public string? LocalRoot { get; set; }

        public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
