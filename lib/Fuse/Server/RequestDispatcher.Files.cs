using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

internal sealed partial class RequestDispatcher
{
    /// <summary>PATH_MAX: the kernel's READLINK buffer (fs/fuse/dir.c reads one page).</summary>
    private const int LinkBufferSize = 4096;

    private async ValueTask OpenAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        OpenIn request = context.Argument<OpenIn>();
        if ((request.Flags & AccessModeMask) != 0 || (request.Flags & OpenTruncate) != 0)
        {
            ReplyError(context, Errno.EROFS);
            return;
        }

        if (_openless)
        {
            // The kernel records no_open and serves this and every later open itself (see Openless).
            ReplyError(context, Errno.ENOSYS);
            return;
        }

        Errno denied = await CheckPermissionAsync(context, node, AccessRead, token).ConfigureAwait(false);
        if (denied != Errno.None)
        {
            ReplyError(context, denied);
            return;
        }

        // No per-open state: reads go to the node by node id. Content never changes, so the page cache
        // may survive opens (FOPEN_KEEP_CACHE).
        uint cacheFlags = options.KeepCache ? (uint)OpenReplyFlags.KeepCache : 0;
        if (_passthrough && node is INodeBackingFile backing)
        {
            int backingId = await _backingFiles.OpenAsync(context.Header.NodeId, backing, token).ConfigureAwait(false);
            SendStruct(context, backingId > 0
                // The kernel refuses KEEP_CACHE with passthrough: the page cache is the backing file's.
                ? new OpenOut { FileHandle = BackingFiles.PassthroughHandle, OpenFlags = (uint)OpenReplyFlags.Passthrough, BackingId = backingId }
                : new OpenOut { FileHandle = BackingFiles.CachedHandle, OpenFlags = cacheFlags });
            return;
        }

        SendStruct(context, new OpenOut { OpenFlags = cacheFlags });
    }

    private async ValueTask ReadAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        ReadIn request = context.Argument<ReadIn>();
        if (node is INodeMemoryReader memoryReader && request.Offset <= long.MaxValue)
        {
            int length = (int)Math.Min(request.Size, (uint)_maxRead);
            FuseResult<ReadOnlyMemory<byte>> content = await memoryReader.ReadMemoryAsync((long)request.Offset, length, token).ConfigureAwait(false);
            if (content.IsSuccess)
            {
                SendWithData(context, content.Value[..Math.Min(length, content.Value.Length)]);
            }
            else
            {
                ReplyError(context, content.Error);
            }

            return;
        }

        if (node is not INodeReader reader)
        {
            // A regular file without content (or a node read as one): end of file.
            Send(context, 0, Errno.None);
            return;
        }

        if (request.Offset > long.MaxValue)
        {
            ReplyError(context, Errno.EINVAL);
            return;
        }

        int size = (int)Math.Min(request.Size, (uint)_maxRead);
        context.UseLargeOutput();
        FuseResult<int> read = await reader.ReadAsync((long)request.Offset, context.Payload[..size], token).ConfigureAwait(false);
        if (!read.IsSuccess)
        {
            ReplyError(context, read.Error);
            return;
        }

        Send(context, Math.Clamp(read.Value, 0, size), Errno.None);
    }

    private ValueTask ReleaseAsync(RequestContext context)
    {
        if (_passthrough)
        {
            _backingFiles.Release(context.Header.NodeId, context.Argument<ReleaseIn>().FileHandle);
        }

        Send(context, 0, Errno.None);
        return Completed;
    }

    private async ValueTask ReadlinkAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        if (node is not INodeReadlinker readlinker)
        {
            ReplyError(context, Errno.EINVAL);
            return;
        }

        FuseResult<int> length = await readlinker.ReadlinkAsync(context.Payload[..LinkBufferSize], token).ConfigureAwait(false);
        if (!length.IsSuccess)
        {
            ReplyError(context, length.Error);
            return;
        }

        if (length.Value > LinkBufferSize)
        {
            ReplyError(context, Errno.ENAMETOOLONG);
            return;
        }

        Send(context, length.Value, Errno.None);
    }
}
