using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Local;

/// <summary>
/// The local backend (SOCI's local pull): fetches the layer a Prepare's labels name, checks its digest while it streams and
/// its diff ID at the end, and unpacks it into the mount point through a staging directory, so a failure leaves the mount
/// point as it was. Serves the <see cref="BackendCapabilities.Local"/> role only.
/// </summary>
internal sealed class LocalFileSystem(
    RegistryClient registry, LayerApplier applier, ImageCatalog images, LocalBackendOptions options, ILogger<LocalFileSystem>? logger = null,
    Meter? meter = null) : IFileSystem
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    private readonly FetchedBytes _fetched = new(meter); // whole_layer here

    /// <inheritdoc />
    public BackendCapabilities Capabilities => BackendCapabilities.Local;

    /// <inheritdoc />
    public async Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        if (!layer.DescribesImageLayer) return MountResult.Defer("the Prepare labels name no image reference and layer digest");
        var reference = ImageCatalog.ReferenceFromLabels(layer.ImageReference);
        var image = await images.GetAsync(reference, layer.ManifestDigest, cancellationToken).ConfigureAwait(false);
        var found = image.FindLayer(layer.LayerDigest!)
            ?? throw new InvalidDataException($"layer {layer.LayerDigest} is not a layer of image {reference} (manifest {image.ManifestDigest})");
        if (found.Descriptor.MediaType.Contains("encrypted", StringComparison.Ordinal))
            return MountResult.Defer($"layer media type {found.Descriptor.MediaType} needs decryption, which containerd does");

        using var scope = LayerLogScope.Begin(_logger, found.Descriptor.Digest, image.Reference);
        var blob = await registry.OpenBlobAsync(image.Reference, found.Descriptor, cancellationToken).ConfigureAwait(false);
        var result = await applier.ApplyAsync(blob, layer.Mountpoint, new LayerApplyOptions
        {
            MediaType = found.Descriptor.MediaType,
            ExpectedDiffId = options.VerifyDiffIds ? found.DiffId : null,
            UserXattr = options.UserXattr,
            ParentDirectories = LowerDirectories(mounts),
        }, cancellationToken).ConfigureAwait(false);
        LocalLog.LayerUnpacked(_logger, found.Descriptor.Digest, result.DiffId ?? "not computed", found.Descriptor.Size, result.Entries, (long)result.TotalTime.TotalMilliseconds);
        _fetched.Add("whole_layer", found.Descriptor.Size);
        return MountResult.Mounted;
    }

    /// <inheritdoc />
    public async Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(idMap);
        var target = Path.Combine(Path.GetDirectoryName(Path.TrimEndingDirectorySeparator(mountpoint))!, "idmap-" + SafeName(activeLayerId));
        if (Directory.Exists(target)) return target;
        try
        {
            await IdMappedCopier.CopyAsync(mountpoint, target, idMap.ToHostUid, idMap.ToHostGid, cancellationToken).ConfigureAwait(false);
        }
        catch (IOException) when (Directory.Exists(target))
        {
            // Another request made the same copy first.
        }

        LocalLog.IdMappedCopy(_logger, mountpoint, target);
        return target;
    }

    /// <inheritdoc />
    public Task CleanImageAsync(string imageKey, CancellationToken cancellationToken)
    {
        images.Forget(imageKey);
        return Task.CompletedTask;
    }

    // The overlay mount's lowerdir list (top-most first), as containerd's applier takes its parents from it.
    private static string[] LowerDirectories(IReadOnlyList<MountSpec> mounts) =>
        mounts.Where(m => m.Type == "overlay")
            .SelectMany(m => m.Options)
            .Where(o => o.StartsWith("lowerdir=", StringComparison.Ordinal))
            .SelectMany(o => o["lowerdir=".Length..].Split(':', StringSplitOptions.RemoveEmptyEntries))
            .ToArray();

    private static string SafeName(string id) => string.Concat(id.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_'));
}
