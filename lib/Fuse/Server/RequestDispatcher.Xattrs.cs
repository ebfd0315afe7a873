using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

internal sealed partial class RequestDispatcher
{
    private const int GetxattrInSize = 8;

    // getxattr(2)/listxattr(2) semantics: size 0 asks for the length (answered with fuse_getxattr_out), a buffer
    // too small is ERANGE, otherwise the bytes themselves. Nodes just return the length and copy when it fits.

    private async ValueTask GetxattrAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        uint size = context.Argument<GetxattrIn>().Size;
        if (node is not INodeGetxattrer getxattrer)
        {
            // ENODATA, not ENOSYS, even in a tree without any xattr: ENOSYS switches xattrs off for the whole mount
            // (fc->no_getxattr), after which getxattr(2) fails EOPNOTSUPP, through overlayfs too, and containerd's diff
            // for a commit (continuity's compareCapabilities) takes only ENODATA as "none".
            ReplyError(context, Errno.ENODATA);
            return;
        }

        ReadOnlyMemory<byte> name = context.NameAfter(GetxattrInSize);
        Memory<byte> destination = Destination(context, size);
        FuseResult<int> length = await getxattrer.GetxattrAsync(name, destination, token).ConfigureAwait(false);
        ReplyXattr(context, size, length);
    }

    private async ValueTask ListxattrAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        uint size = context.Argument<GetxattrIn>().Size;
        FuseResult<int> length = 0;
        if (node is INodeListxattrer listxattrer)
        {
            length = await listxattrer.ListxattrAsync(Destination(context, size), token).ConfigureAwait(false);
        }

        ReplyXattr(context, size, length);
    }

    private static Memory<byte> Destination(RequestContext context, uint size) =>
        context.Payload[..(int)Math.Min(size, (uint)(context.Output.Length - OutHeader.Size))];

    private void ReplyXattr(RequestContext context, uint size, FuseResult<int> length)
    {
        if (!length.IsSuccess)
        {
            ReplyError(context, length.Error);
        }
        else if (size == 0)
        {
            SendStruct(context, new GetxattrOut { Size = (uint)length.Value });
        }
        else if ((uint)length.Value > size)
        {
            ReplyError(context, Errno.ERANGE);
        }
        else
        {
            Send(context, length.Value, Errno.None);
        }
    }
}
