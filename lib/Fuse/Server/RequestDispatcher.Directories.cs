using Microsoft.Extensions.Logging;
using System.Runtime.InteropServices;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

internal sealed partial class RequestDispatcher
{
    // Entries 0 and 1 of every listing are "." and ".."; the node's entries follow. A READDIR offset is the index of
    // the next entry to send (fuse_dirent.off is "where to continue").
    private const int DotEntries = 2;

    private static readonly byte[] Dot = "."u8.ToArray();
    private static readonly byte[] DotDot = ".."u8.ToArray();

    private async ValueTask OpendirAsync(RequestContext context, FuseNode node, CancellationToken token)
    {
        if (node is not INodeReaddirer readdirer)
        {
            ReplyError(context, Errno.ENOTDIR);
            return;
        }

        if (_opendirless)
        {
            // The kernel records no_opendir and opens this and every later directory itself (see Opendirless).
            ReplyError(context, Errno.ENOSYS);
            return;
        }

        Errno denied = await CheckPermissionAsync(context, node, AccessRead, token).ConfigureAwait(false);
        if (denied != Errno.None)
        {
            ReplyError(context, denied);
            return;
        }

        FuseResult<IReadOnlyList<FuseDirEntry>> entries = await readdirer.ReaddirAsync(token).ConfigureAwait(false);
        if (!entries.IsSuccess)
        {
            ReplyError(context, entries.Error);
            return;
        }

        OpenReplyFlags flags = options.KeepCache ? OpenReplyFlags.KeepCache | OpenReplyFlags.CacheDir : 0;
        SendStruct(context, new OpenOut { FileHandle = directories.Open(entries.Value), OpenFlags = (uint)flags });
    }

    private ValueTask ReleasedirAsync(RequestContext context)
    {
        directories.Release(context.Argument<ReleaseIn>().FileHandle);
        Send(context, 0, Errno.None);
        return Completed;
    }

    private async ValueTask ReaddirAsync(RequestContext context, FuseNode directory, bool plus, CancellationToken token)
    {
        ReadIn request = context.Argument<ReadIn>();
        IReadOnlyList<FuseDirEntry>? entries = directories.Find(request.FileHandle);
        if (entries is null && request.FileHandle == 0 && _opendirless && directory is INodeReaddirer stateless)
        {
            // Opened by the kernel alone (no handle, never released): listed from the node at every READDIR, which
            // lists the same entries in the same order each time; the kernel caches the listing (FOPEN_CACHE_DIR).
            FuseResult<IReadOnlyList<FuseDirEntry>> listed = await stateless.ReaddirAsync(token).ConfigureAwait(false);
            if (!listed.IsSuccess)
            {
                ReplyError(context, listed.Error);
                return;
            }

            entries = listed.Value;
        }
        else if (entries is null)
        {
            // A handle opened by the process that served this connection before us (stable ids only: otherwise
            // the directory's id would not have resolved): list the directory again, the same entries in the same order.
            if (!nodes.IsStable || directory is not INodeReaddirer readdirer)
            {
                ReplyError(context, Errno.EBADF);
                return;
            }

            FuseResult<IReadOnlyList<FuseDirEntry>> listed = await readdirer.ReaddirAsync(token).ConfigureAwait(false);
            if (!listed.IsSuccess)
            {
                ReplyError(context, listed.Error);
                return;
            }

            entries = directories.Adopt(request.FileHandle, listed.Value);
        }

        int capacity = (int)Math.Min(request.Size, (uint)(context.Output.Length - OutHeader.Size));
        int used = 0;
        ulong directoryId = context.Header.NodeId;
        for (long index = (long)Math.Min(request.Offset, long.MaxValue); index < entries.Count + DotEntries; index++)
        {
            FuseNode? node = null;
            ReadOnlyMemory<byte> name;
            uint mode;
            ulong ino;
            if (index < DotEntries)
            {
                name = index == 0 ? Dot : DotDot;
                mode = FileModes.Directory;
                ino = index == 0 ? directoryId : NodeTable.RootId;
            }
            else
            {
                FuseDirEntry entry = entries[(int)(index - DotEntries)];
                node = entry.Node;
                name = entry.Name;
                mode = entry.Mode;
                ino = nodes.InodeNumber(entry.Ino, nodes.IdOf(entry.Node));
            }

            int recordSize = plus ? DirentPlusSize(name.Length) : DirentSize(name.Length);
            if (used + recordSize > capacity)
            {
                break;
            }

            var entryOut = new EntryOut();
            if (plus && node is not null)
            {
                // "." and ".." go out with node id 0: the kernel links neither (fuse_direntplus_link).
                FuseResult<FuseAttributes> attributes = await TryGetEntryAttributesAsync(node, token).ConfigureAwait(false);
                if (attributes.IsSuccess)
                {
                    FillEntry(ref entryOut, node, attributes.Value);
                    mode = attributes.Value.Mode;
                }
            }

            Span<byte> record = context.Payload.Span.Slice(used, recordSize);
            if (plus)
            {
                MemoryMarshal.Write(record, in entryOut);
                record = record[System.Runtime.CompilerServices.Unsafe.SizeOf<EntryOut>()..];
            }

            WriteDirent(record, ino, index + 1, mode, name.Span);
            used += recordSize;
        }

        Send(context, used, Errno.None);
    }

    /// <summary>
    /// Attributes for a READDIRPLUS entry. A child that fails is listed without them (node id 0: the kernel looks it
    /// up later and gets the error then) rather than failing the whole listing.
    /// </summary>
    private async ValueTask<FuseResult<FuseAttributes>> TryGetEntryAttributesAsync(FuseNode node, CancellationToken token)
    {
        try
        {
            return await GetAttributesAsync(node, token).ConfigureAwait(false);
        }
        catch (NodeFaultException fault)
        {
            if (node.TryMarkFaultLogged())
            {
                FuseLog.ReaddirplusEntryFailed(logger, fault.InnerException, node.GetType().Name);
            }

            return Errno.EIO;
        }
    }

    private static void WriteDirent(Span<byte> record, ulong ino, long nextOffset, uint mode, ReadOnlySpan<byte> name)
    {
        var dirent = new Dirent { Ino = ino, Offset = (ulong)nextOffset, NameLength = (uint)name.Length, Type = (mode & FileModes.TypeMask) >> 12 };
        MemoryMarshal.Write(record, in dirent);
        name.CopyTo(record[Dirent.NameOffset..]);
        record[(Dirent.NameOffset + name.Length)..].Clear(); // FUSE_DIRENT_ALIGN padding
    }

    private static int DirentSize(int nameLength) => Align8(Dirent.NameOffset + nameLength);

    private static int DirentPlusSize(int nameLength) => Align8(System.Runtime.CompilerServices.Unsafe.SizeOf<EntryOut>() + Dirent.NameOffset + nameLength);

    private static int Align8(int size) => (size + 7) & ~7;
}
