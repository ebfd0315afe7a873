using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Tree;

namespace PluggableSnapshotter.Plugins.Soci.Nodes;

/// <summary>A regular file of a layer view: its bytes come from the layer's spans on demand.</summary>
internal sealed class LayerFileNode(LayerInode inode, OwnerMapping owners, LayerContent content, ILogger logger) : LayerNode(inode, owners), INodeReader
{
    public async ValueTask<FuseResult<int>> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (offset >= Inode.Size) return 0;
        var count = (int)Math.Min(destination.Length, Inode.Size - offset);
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
            logger.LogWarning(e, "reading {Length} bytes at {Offset} of inode {Ino} failed", count, offset, Inode.Ino);
            return Errno.EIO;
        }
    }
}
