using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

internal sealed partial class RequestDispatcher
{
    private async ValueTask LookupAsync(RequestContext context, FuseNode parent, CancellationToken token)
    {
        if (parent is not INodeLookuper lookuper)
        {
            ReplyError(context, Errno.ENOENT);
            return;
        }

        FuseResult<FuseNode> child = await lookuper.LookupAsync(context.NameAfter(0), token).ConfigureAwait(false);
        if (!child.IsSuccess)
        {
            if (child.Error == Errno.ENOENT && options.NegativeEntryTimeout > TimeSpan.Zero)
            {
                // Node id 0 with a timeout caches the absence (fuse_lookup_name in fs/fuse/dir.c).
                var negative = new EntryOut();
                SetTimeout(options.NegativeEntryTimeout, out negative.EntryValid, out negative.EntryValidNsec);
                SendStruct(context, negative);
                return;
            }

            ReplyError(context, child.Error);
            return;
        }

        FuseResult<FuseAttributes> attributes = await GetAttributesAsync(child.Value, token).ConfigureAwait(false);
        if (!attributes.IsSuccess)
        {
            ReplyError(context, attributes.Error);
            return;
        }

        var entry = new EntryOut();
        FillEntry(ref entry, child.Value, attributes.Value);
        SendStruct(context, entry);
    }

    private async ValueTask GetattrAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        FuseResult<FuseAttributes> attributes = await GetAttributesAsync(node, token).ConfigureAwait(false);
        if (!attributes.IsSuccess)
        {
            ReplyError(context, attributes.Error);
            return;
        }

        var reply = new AttrOut();
        SetTimeout(options.AttributeTimeout, out reply.AttrValid, out reply.AttrValidNsec);
        FillAttr(ref reply.Attr, nodes.InodeNumber(attributes.Value.Ino, nodes.IdOf(node)), attributes.Value);
        SendStruct(context, reply);
    }

    private async ValueTask StatfsAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        INodeStatfser? statfser = node as INodeStatfser ?? nodes.Root as INodeStatfser;
        FuseStatfs statistics = default;
        if (statfser is not null)
        {
            FuseResult<FuseStatfs> result = await statfser.StatfsAsync(token).ConfigureAwait(false);
            if (!result.IsSuccess)
            {
                ReplyError(context, result.Error);
                return;
            }

            statistics = result.Value;
        }

        uint blockSize = statistics.BlockSize == 0 ? 4096 : statistics.BlockSize;
        SendStruct(context, new StatfsOut
        {
            Blocks = statistics.Blocks,
            FreeBlocks = statistics.FreeBlocks,
            AvailableBlocks = statistics.AvailableBlocks,
            Files = statistics.Files,
            FreeFiles = statistics.FreeFiles,
            BlockSize = blockSize,
            FragmentSize = blockSize,
            NameLength = statistics.MaxNameLength == 0 ? 255 : statistics.MaxNameLength,
        });
    }

    /// <summary>
    /// Asks the node for its attributes; a node without <see cref="INodeGetattrer"/> is a fault (EIO, logged). A
    /// fault is tagged with the node, which may be a child of the one the request names (LOOKUP, READDIRPLUS).
    /// </summary>
    private static async ValueTask<FuseResult<FuseAttributes>> GetAttributesAsync(FuseNode node, CancellationToken token)
    {
        try
        {
            return node is INodeGetattrer getattrer
                ? await getattrer.GetattrAsync(token).ConfigureAwait(false)
                : throw new InvalidOperationException($"{node.GetType().FullName} does not implement {nameof(INodeGetattrer)}");
        }
        catch (Exception exception) when (exception is not OperationCanceledException || !token.IsCancellationRequested)
        {
            throw new NodeFaultException(node, exception);
        }
    }

    /// <summary>Fills an entry reply and counts the kernel reference it hands out.</summary>
    private void FillEntry(ref EntryOut entry, FuseNode node, in FuseAttributes attributes)
    {
        entry.NodeId = nodes.AddReference(node);
        entry.Generation = 0; // Node ids are never reused, so one generation suffices (fuse_entry_out).
        SetTimeout(options.EntryTimeout, out entry.EntryValid, out entry.EntryValidNsec);
        SetTimeout(options.AttributeTimeout, out entry.AttrValid, out entry.AttrValidNsec);
        FillAttr(ref entry.Attr, nodes.InodeNumber(attributes.Ino, entry.NodeId), attributes);
    }

    private static void FillAttr(ref Attr attr, ulong ino, in FuseAttributes attributes)
    {
        attr.Ino = ino;
        attr.Size = (ulong)Math.Max(0, attributes.Size);
        attr.Blocks = attributes.Blocks != 0 ? (ulong)attributes.Blocks : (attr.Size + 511) / 512;
        attr.Mode = attributes.Mode;
        attr.Nlink = attributes.LinkCount == 0 ? 1 : attributes.LinkCount;
        attr.Uid = attributes.Uid;
        attr.Gid = attributes.Gid;
        attr.Rdev = attributes.Rdev;
        attr.BlockSize = 4096;
        // fuse_attr's seconds are a u64 the kernel reads as a signed time64_t, so times before 1970 pass through as is.
        UnixTime modified = attributes.ModificationTime;
        (attr.Mtime, attr.MtimeNsec) = ((ulong)modified.Seconds, modified.Nanoseconds);
        UnixTime accessed = attributes.AccessTime ?? modified;
        (attr.Atime, attr.AtimeNsec) = ((ulong)accessed.Seconds, accessed.Nanoseconds);
        UnixTime changed = attributes.ChangeTime ?? modified;
        (attr.Ctime, attr.CtimeNsec) = ((ulong)changed.Seconds, changed.Nanoseconds);
    }

    private static void SetTimeout(TimeSpan timeout, out ulong seconds, out uint nanoseconds)
    {
        long ticks = Math.Max(0, timeout.Ticks);
        seconds = (ulong)(ticks / TimeSpan.TicksPerSecond);
        nanoseconds = (uint)(ticks % TimeSpan.TicksPerSecond * 100);
    }
}
