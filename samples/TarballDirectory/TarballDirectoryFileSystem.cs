using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Sdk;

namespace TarballDirectory;

/// <summary>
/// Serves the local role from a directory of layer blobs (as a registry stores them: tar, gzip or zstd): a layer whose blob
/// is there is checked against its digest and unpacked into the mount point; any other layer is handed back to containerd
/// with <see cref="MountResult.Defer"/>, an expected outcome, not an error.
/// </summary>
/// <remarks>
/// The contract (sdk IFileSystem): when an operation does not end in Mounted, the mount point is left as found. So the blob
/// is unpacked into a staging directory of the plugin's own (<see cref="PluginContext.StateDirectory"/>, on the same file
/// system as the snapshots) and only a complete tree is renamed onto the empty mount point; failure or cancellation removes
/// the staging directory.
/// </remarks>
public sealed partial class TarballDirectoryFileSystem(TarballDirectoryOptions options, PluginContext context, ILogger<TarballDirectoryFileSystem> logger) : IFileSystem
{
    public BackendCapabilities Capabilities => BackendCapabilities.Local;

    public async Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(layer);
        ArgumentNullException.ThrowIfNull(mounts);
        cancellationToken.ThrowIfCancellationRequested();
        if (layer.LayerDigest is not { } digest || !digest.StartsWith("sha256:", StringComparison.Ordinal))
            return MountResult.Defer("the Prepare labels name no sha256 layer digest");
        var blob = Path.Combine(options.Directory, digest.Replace(':', '-'));
        if (!File.Exists(blob))
        {
            LogDeferred(logger, digest, blob);
            return MountResult.Defer($"no blob {blob}");
        }

        await VerifyDigestAsync(blob, digest, cancellationToken).ConfigureAwait(false);
        var staging = Directory.CreateDirectory(Path.Combine(context.StateDirectory, "staging", Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            await TarExtractor.ExtractAsync(blob, staging, cancellationToken).ConfigureAwait(false);
            OverlayConventions.Apply(staging);
            await ParentDirectories.InheritAsync(blob, staging, mounts, cancellationToken).ConfigureAwait(false);
            Native.ReplaceEmptyDirectory(staging, layer.Mountpoint);
            LogUnpacked(logger, digest, layer.Mountpoint);
            return MountResult.Mounted with { Labels = new Dictionary<string, string> { [SnapshotLabels.SnapshotPrefix + "tarball-directory.blob"] = blob } };
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    // Not declared in Capabilities, so the host never calls these for this backend; they answer as a bystander would.
    public Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken) =>
        Task.FromResult(MountResult.Defer("this backend serves no lazy mounts"));

    public Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) =>
        Task.FromResult(MountResult.Defer("this backend does not pull in parallel"));

    public Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken) => Task.CompletedTask;

    // Nothing is ever mounted: an unpacked layer is a plain directory the host owns.
    public Task UnmountAsync(string mountpoint, CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        throw new NotSupportedException("tarball-directory makes no lazy mounts, so it has none to id-map");

    public Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) =>
        throw new NotSupportedException("tarball-directory does not make id-mapped copies of layers (user-namespaced pods): use the local backend for those");

    // Nothing is kept per image.
    public Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken) => Task.CompletedTask;

    private static async Task VerifyDigestAsync(string blob, string digest, CancellationToken cancellationToken)
    {
        using var stream = File.OpenRead(blob); // read only: nothing to flush, so no async dispose to await
        var actual = "sha256:" + Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken).ConfigureAwait(false));
        if (!string.Equals(actual, digest, StringComparison.Ordinal))
            throw new InvalidDataException($"{blob} does not hold layer {digest}: its digest is {actual}");
    }

    [LoggerMessage(1, LogLevel.Information, "No blob for layer {LayerDigest} at {Blob}: containerd pulls it")]
    private static partial void LogDeferred(ILogger logger, string layerDigest, string blob);

    [LoggerMessage(2, LogLevel.Information, "Unpacked layer {LayerDigest} into {Mountpoint}")]
    private static partial void LogUnpacked(ILogger logger, string layerDigest, string mountpoint);
}
