using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>
/// A regular file of a layer view: its bytes come from the layer's spans on demand, or, once the layer is local, from
/// its unpacked copy in the store through FUSE passthrough (the kernel reads the local file; the server sees no READ).
/// While the layer's fill runs, a file it has unpacked from verified bytes is read from there (no span decompressed), or
/// passed through.
/// </summary>
/// <remarks>The node knows its path in the layer (one of its names, for a hard link) to find its local copy.</remarks>
public sealed class LayerFileNode(LayerInode inode, OwnerMapping owners, ILayerContent content, string path, ILogger logger)
    : LayerNode(inode, owners), INodeReader, INodeBackingFile
{
    public async ValueTask<FuseResult<int>> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset >= Inode.Size) return 0;
        var count = (int)Math.Min(destination.Length, Inode.Size - offset);
        if (ReadCopy(OpenLocal(), offset, destination[..count]) is { } local) return local;
        if (content.Unpacking is { } unpacked && ReadCopy(unpacked.Open(Inode.DataOffset, Inode.Size), offset, destination[..count]) is { } early)
        {
            unpacked.Served(early);
            return early;
        }
        try
        {
            await content.ReadAsync(Inode.DataOffset + offset, destination[..count], cancellationToken).ConfigureAwait(false);
            return count;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Errno.EINTR;
        }
        catch (Exception e) when (e is InvalidDataException or IOException or HttpRequestException or PluggableSnapshotter.Registry.RegistryException)
        {
            // A span that fails its digest or cannot be fetched is an I/O error for the reader, never wrong bytes.
            LazyLayersLog.ReadFailed(logger, content.LayerDigest, path, count, offset, e.Message);
            return Errno.EIO;
        }
    }

    // A copy the running fill unpacked from verified bytes is never written again: the kernel may read it as well.
    public ValueTask<SafeFileHandle?> OpenBackingFileAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(OpenLocal() ?? content.Unpacking?.Open(Inode.DataOffset, Inode.Size));

    /// <summary>
    /// Reads from a copy of the file, taking <paramref name="handle"/> (the local copy: a file opened before its layer became
    /// local, or one the kernel would not pass through; or the fill's): null when there is none or it fails.
    /// </summary>
    private static int? ReadCopy(SafeFileHandle? handle, long offset, Memory<byte> destination)
    {
        using var _ = handle;
        if (handle is null) return null;
        try
        {
            var total = 0;
            while (total < destination.Length)
            {
                var read = RandomAccess.Read(handle, destination.Span[total..], offset + total);
                if (read == 0) break;
                total += read;
            }
            return total;
        }
        catch (IOException)
        {
            return null; // served from the registry instead
        }
    }

    private SafeFileHandle? OpenLocal()
    {
        if (content.LocalRoot is not { } root) return null;
        // Confined: a name in the tree that resolves to something else in the copy (a layer's names that are not UTF-8
        // read back as U+FFFD) may be a symlink, a device or a FIFO the layer planted, never followed or opened. The copy
        // was checked against the layer digest; a size that differs means it is not this entry.
        return ConfinedOpen.RegularFileBeneath(root, path, status => status.Size == Inode.Size);
    }
}
