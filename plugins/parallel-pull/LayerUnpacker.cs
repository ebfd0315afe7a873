using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Layers.Compression;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>Unpacks a (possibly still downloading) layer blob into a staging directory, decompressing in process or with a <c>decompress_streams</c> program.</summary>
internal sealed class LayerUnpacker(LayerApplier applier, ParallelPullOptions options, ILogger<LayerUnpacker> logger)
{
    /// <summary>Unpacks into <paramref name="target"/> (missing or empty); on failure nothing is left there.</summary>
    public async Task<LayerApplyResult> UnpackAsync(BlobDownload download, string? diffId, string target, CancellationToken cancellationToken)
    {
        var mediaType = string.IsNullOrEmpty(download.Blob.MediaType) ? null : download.Blob.MediaType;
        var applyOptions = new LayerApplyOptions
        {
            MediaType = mediaType,
            ExpectedDiffId = options.VerifyDiffIds ? diffId : null,
            UserXattr = options.UserXattr,
        };
        var external = LayerCompressionDetector.FromMediaType(mediaType) switch
        {
            LayerCompression.Gzip => options.DecompressStreams.GetValueOrDefault("gzip"),
            LayerCompression.Zstd => options.DecompressStreams.GetValueOrDefault("zstd"),
            _ => null,
        };
        if (external is null) return await applier.ApplyAsync(download.OpenReader(), target, applyOptions, cancellationToken).ConfigureAwait(false);

        var decompression = ExternalDecompression.Start(external, download.OpenReader(), cancellationToken);
        await using (decompression.ConfigureAwait(false))
        {
            try
            {
                var result = await applier.ApplyAsync(decompression.Output, target, applyOptions with { MediaType = MediaTypes.OciLayer }, cancellationToken)
                    .ConfigureAwait(false);
                await decompression.WaitAsync(cancellationToken).ConfigureAwait(false);
                return result;
            }
            catch (Exception ex)
            {
                ParallelPullLog.LayerFailed(logger, download.Blob.Digest, download.Path, ex.Message);
                if (Directory.Exists(target)) Directory.Delete(target, recursive: true); // applied, but the blob or the decompressor failed
                throw;
            }
        }
    }
}
