using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Layers.Apply;
using PluggableSnapshotter.Layers.Compression;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Tar;

namespace PluggableSnapshotter.Layers;

/// <summary>
/// Unpacks an image layer (gzip, zstd or plain tar) into a directory the way containerd's overlay snapshotter would
/// see it, checking its diff ID. The layer is written into a staging directory next to the target and renamed into
/// place only when everything succeeded, so a failure (a bad archive, a digest mismatch, a cancellation) leaves nothing.
/// </summary>
/// <remarks>
/// Must run as root (ownership, device nodes, <c>trusted.*</c> xattrs). Entries that would write outside the layer
/// directory (absolute names, <c>..</c>, a parent that is a symbolic link, a hard link to outside) fail the whole layer
/// with an <see cref="InvalidDataException"/> naming the entry.
/// </remarks>
public sealed class LayerApplier(ILogger<LayerApplier>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? NullLogger.Instance;

    /// <summary>
    /// Applies the layer read from <paramref name="blob"/> into <paramref name="targetDirectory"/>, which must be missing
    /// or an empty directory (it is replaced). Reads <paramref name="blob"/> to its end (so a verifying blob stream gets to
    /// check its digest) and disposes it.
    /// </summary>
    /// <exception cref="InvalidDataException">The archive is malformed or malicious, or its diff ID does not match.</exception>
    /// <exception cref="IOException">The target is not empty, or a file system call failed.</exception>
    public async Task<LayerApplyResult> ApplyAsync(Stream blob, string targetDirectory, LayerApplyOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        ArgumentNullException.ThrowIfNull(options);
        await using var owned = blob.ConfigureAwait(false);
        var started = Stopwatch.GetTimestamp();
        var target = Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetDirectory));
        var staging = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.apply-{Guid.NewGuid():N}");
        Libc.Check(Libc.mkdir(staging, Libc.Mode0755), "mkdir", staging);
        try
        {
            Libc.Check(Libc.chmod(staging, Libc.Mode0755), "chmod", staging);
            LayerApplyResult result;
            try
            {
                result = await UnpackAsync(blob, staging, target, options, cancellationToken).ConfigureAwait(false);
            }
            catch (EndOfStreamException ex)
            {
                throw new InvalidDataException($"layer archive ends in the middle of an entry (truncated): {ex.Message}", ex);
            }

            cancellationToken.ThrowIfCancellationRequested();
            DirectoryMove.OntoEmpty(staging, target, "the layer");
            result = result with { TotalTime = Stopwatch.GetElapsedTime(started) };
            LayersLog.Applied(_logger, target, result.DiffId ?? "not computed", result.Entries, result.UncompressedSize, (long)result.TotalTime.TotalMilliseconds);
            return result;
        }
        catch (Exception ex)
        {
            LayersLog.ApplyFailed(_logger, target, ex.Message);
            RemoveStaging(staging);
            throw;
        }
    }

    // Three stages run at once: download + digest check, decompression (+ diff ID hash), tar parsing + writes (this thread).
    private async Task<LayerApplyResult> UnpackAsync(Stream blob, string staging, string target, LayerApplyOptions options, CancellationToken cancellationToken)
    {
        var fetched = new ReadAheadStream(blob);
        await using var fetchedOwner = fetched.ConfigureAwait(false);
        var (tar, compression) = await LayerDecompressor.OpenAsync(fetched, options.MediaType, cancellationToken, leaveOpen: true).ConfigureAwait(false);
        var uncompressed = new HashingReadStream(tar, hash: options.ComputeDiffId || options.ExpectedDiffId is not null);
        var decompressed = new ReadAheadStream(options.HoldBack is { } holdBack ? new HeldBackReadStream(uncompressed, holdBack) : uncompressed);
        await using var decompressedDisposal = decompressed.ConfigureAwait(false);
        var input = new HashingReadStream(decompressed, hash: false);
        await using var inputDisposal = input.ConfigureAwait(false);
        var reader = new TarArchiveReader(input);
        var writer = new TreeWriter(RawPath.FromPath(staging), options.UserXattr, reader, [.. options.ParentDirectories.Select(RawPath.FromPath)],
            options.AppliedFiles);
        var entries = 0;
        var writeTime = TimeSpan.Zero;
        while (await reader.NextAsync(cancellationToken).ConfigureAwait(false) is { } entry)
        {
            var before = input.ReadTime;
            var entryStarted = Stopwatch.GetTimestamp();
            await writer.ApplyAsync(entry, cancellationToken).ConfigureAwait(false);
            writeTime += Stopwatch.GetElapsedTime(entryStarted) - (input.ReadTime - before); // reading file data counts as reading
            entries++;
        }

        // Read both pipelines to their ends: the diff ID covers the whole tar, and the blob's last bytes get its digest checked.
        await input.DrainAsync(cancellationToken).ConfigureAwait(false);
        await fetched.CopyToAsync(Stream.Null, cancellationToken).ConfigureAwait(false);
        var finishStarted = Stopwatch.GetTimestamp();
        writer.FinishDirectoryTimes();
        writeTime += Stopwatch.GetElapsedTime(finishStarted);

        if (writer.IgnoredXattrs.Count > 0)
            LayersLog.XattrsIgnored(_logger, target, string.Join(", ", writer.IgnoredXattrs), writer.EntriesWithIgnoredXattrs);
        var diffId = uncompressed.Hashing ? uncompressed.Digest() : null;
        if (options.ExpectedDiffId is { } expected && !string.Equals(expected, diffId, StringComparison.Ordinal))
            throw new InvalidDataException($"layer diff ID mismatch: the image config says {expected}, the uncompressed layer is {diffId}");
        return new LayerApplyResult
        {
            DiffId = diffId,
            UncompressedSize = uncompressed.BytesRead,
            Compression = compression,
            Entries = entries,
            ReadTime = input.ReadTime,
            WriteTime = writeTime,
            TotalTime = TimeSpan.Zero,
        };
    }

    private void RemoveStaging(string staging)
    {
        try
        {
            // Raw: the archive may have left names that are not UTF-8, which Directory.Delete cannot remove.
            if (Directory.Exists(staging)) RawTree.Delete(RawPath.FromPath(staging));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LayersLog.StagingNotRemoved(_logger, staging, ex.Message);
        }
    }
}
