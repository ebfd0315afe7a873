using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse.Interop;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

internal sealed partial class RequestDispatcher
{
    /// <summary>The newest protocol minor this server speaks over /dev/fuse (linux/fuse.h it was written against).</summary>
    public const uint ProtocolMinor = 38;

    /// <summary>The minor answered when FUSE over io_uring is negotiated (7.42 introduced it).</summary>
    private const uint UringProtocolMinor = 42;

    /// <summary>The minor answered when passthrough is negotiated (7.40: fuse_open_out.backing_id, max_stack_depth).</summary>
    private const uint PassthroughProtocolMinor = 40;

    /// <summary>The oldest minor accepted: full-size entry/attr/init structures (Linux 3.15).</summary>
    private const uint OldestMinor = 23;

    private const InitFlags Wanted = InitFlags.AsyncRead | InitFlags.BigWrites | InitFlags.DoReaddirplus
        | InitFlags.ReaddirplusAuto | InitFlags.ParallelDirops | InitFlags.MaxPages | InitFlags.CacheSymlinks
        | InitFlags.NoOpenSupport | InitFlags.NoOpendirSupport;

    /// <summary>The largest READ payload the kernel will ask for, fixed at INIT.</summary>
    public int MaxRead => _maxRead;

    /// <summary>What INIT settled (null before INIT); a keeper stores it for the process that resumes the connection.</summary>
    public NegotiatedInit? Negotiated { get; private set; }

    /// <summary>Serves a connection whose INIT an earlier process answered: the kernel will not send INIT again.</summary>
    public void Resume(NegotiatedInit init)
    {
        _maxRead = init.MaxRead;
        _passthrough = init.Passthrough;
        _openless = Openless((InitFlags)init.Flags, init.Passthrough);
        _opendirless = Opendirless((InitFlags)init.Flags);
        Negotiated = init;
    }

    /// <summary>
    /// Called once INIT is answered, with the number of io_uring queues to set up (one per possible CPU; 0 when
    /// requests come through /dev/fuse); the session then completes INIT itself. Without it, INIT completes at once.
    /// </summary>
    public Action<int>? InitAnswered { get; set; }

    private void ReplyInit(RequestContext context)
    {
        InitIn request = context.Argument<InitIn>();
        if (request.Major > 7)
        {
            // The kernel offers a newer major: answer ours and it sends INIT again (fuse_kernel.h, INIT negotiation).
            SendStruct(context, new InitOut { Major = 7, Minor = ProtocolMinor });
            return;
        }

        if (request.Major < 7 || request.Minor < OldestMinor)
        {
            FuseLog.ProtocolTooOld(logger, request.Major, request.Minor, OldestMinor);
            ReplyError(context, Errno.EPROTO);
            initialized.TrySetException(new NotSupportedException($"FUSE protocol {request.Major}.{request.Minor} is older than 7.{OldestMinor}"));
            return;
        }

        // fuse_init_in.flags2 follows flags since 7.36; the kernel offers FUSE_OVER_IO_URING only when
        // CONFIG_FUSE_IO_URING is built in and the fuse.enable_uring parameter is on.
        Span<byte> body = context.Body;
        uint offered2 = body.Length >= 20 && (request.Flags & (uint)InitFlags.InitExt) != 0 ? MemoryMarshal.Read<uint>(body[16..]) : 0;
        // One ring queue per possible CPU; without that count io_uring is not used (a queue short, the ring never readies).
        int uringQueues = (offered2 & (uint)InitFlags2.OverIoUring) != 0 ? IoUringSyscalls.PossibleCpuCount() : 0;
        bool uringOffered = uringQueues > 0;
        bool uring = uringOffered && options.Transport != FuseTransport.Device;
        if (options.Transport == FuseTransport.IoUring && !uringOffered)
        {
            ReplyError(context, Errno.EPROTO);
            initialized.TrySetException(new NotSupportedException(
                "The kernel did not offer FUSE over io_uring (it needs CONFIG_FUSE_IO_URING and /sys/module/fuse/parameters/enable_uring set to Y, and a readable /sys/devices/system/cpu/possible)"));
            return;
        }

        // Passthrough: the mount counts as one level of stacking (max_stack_depth 1), so overlayfs may still sit on
        // top of it and backing files must live on a file system that is not stacked itself.
        bool passthrough = options.Passthrough && (offered2 & (uint)InitFlags2.Passthrough) != 0;
        _passthrough = passthrough;
        uint minor = uring ? UringProtocolMinor : passthrough ? PassthroughProtocolMinor : ProtocolMinor;
        InitFlags granted = (Wanted | (uring || passthrough ? InitFlags.InitExt : 0)) & (InitFlags)request.Flags;
        int maxPages = (granted & InitFlags.MaxPages) != 0 ? Math.Clamp(options.MaxPages, 1, 256) : 32;
        var reply = new InitOut
        {
            Major = 7,
            Minor = Math.Min(request.Minor, minor),
            MaxReadahead = request.MaxReadahead,
            Flags = (uint)granted,
            Flags2 = (uring ? (uint)InitFlags2.OverIoUring : 0) | (passthrough ? (uint)InitFlags2.Passthrough : 0),
            MaxStackDepth = passthrough ? 1u : 0,
            // Over io_uring each CPU's queue has a fixed number of entries: background reads may hold only part of
            // them, so a slow READ never leaves a queue without an entry for LOOKUP or GETATTR.
            MaxBackground = (ushort)(uring ? UringBackgroundLimit(UringQueueDepth) : 64),
            CongestionThreshold = (ushort)(uring ? UringBackgroundLimit(UringQueueDepth) : 48),
            MaxWrite = FuseSession.MaxWrite,
            TimeGranularity = 1,
            MaxPages = (ushort)maxPages,
        };
        _openless = Openless(granted, passthrough);
        _opendirless = Opendirless(granted);
        Negotiated = new NegotiatedInit(reply.Minor, reply.Flags, reply.Flags2, maxPages, passthrough, uring);
        _maxRead = Negotiated.Value.MaxRead;
        SendStruct(context, reply);
        FuseLog.InitAnswered(logger, request.Minor, reply.Minor, granted, maxPages, uring, passthrough);
        if (InitAnswered is { } answered)
        {
            answered(uring ? uringQueues : 0);
        }
        else
        {
            initialized.TrySetResult();
        }
    }

    /// <summary>
    /// Whether OPEN is answered ENOSYS, after which the kernel sends neither OPEN nor RELEASE for files of this
    /// connection and keeps their page cache across opens (fs/fuse/file.c: a zero-message open defaults to
    /// FOPEN_KEEP_CACHE): two round trips less per file opened (a container start opens a handful through overlayfs,
    /// a read of every file of an image 20k). Only when nothing needs OPEN: no passthrough (its answer carries the
    /// backing file), the page cache kept anyway, the kernel checking modes (default_permissions) and a read-only
    /// mount (the VFS refuses writing opens itself).
    /// </summary>
    private bool Openless(InitFlags granted, bool passthrough) =>
        (granted & InitFlags.NoOpenSupport) != 0 && !passthrough && options.KeepCache && options.DefaultPermissions && options.ReadOnly;

    /// <summary>
    /// Whether OPENDIR is answered ENOSYS, after which the kernel sends neither OPENDIR nor RELEASEDIR on this
    /// connection and opens directories as FOPEN_KEEP_CACHE | FOPEN_CACHE_DIR (fs/fuse/file.c), so a listing is still
    /// cached after its first READDIRs, which then come with handle 0 and are listed from the node: two round trips
    /// less per directory opened, and overlayfs opens each directory in every lower it merges (a read of every file
    /// of an image opens hundreds). Only with the kernel checking modes (default_permissions) and the page cache kept.
    /// </summary>
    private bool Opendirless(InitFlags granted) =>
        (granted & InitFlags.NoOpendirSupport) != 0 && options.KeepCache && options.DefaultPermissions;

    /// <summary>Entries per ring queue: the option, kept to what a queue can sensibly hold.</summary>
    public int UringQueueDepth => Math.Clamp(options.UringQueueDepth, 2, 1024);

    /// <summary>
    /// Background requests allowed at once over io_uring, for the whole connection (max_background is global; the
    /// kernel adds at most one per queue): three quarters of one queue's entries, so even when all of them land on
    /// one CPU a quarter of its entries stay free for LOOKUP and GETATTR.
    /// </summary>
    public static int UringBackgroundLimit(int queueDepth) => Math.Max(1, queueDepth * 3 / 4);
}
