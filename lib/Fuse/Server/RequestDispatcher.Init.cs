using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

internal sealed partial class RequestDispatcher
{
    /// <summary>The newest protocol minor this server speaks (linux/fuse.h it was written against).</summary>
    public const uint ProtocolMinor = 38;

    /// <summary>The oldest minor accepted: full-size entry/attr/init structures (Linux 3.15).</summary>
    private const uint OldestMinor = 23;

    private const InitFlags Wanted = InitFlags.AsyncRead | InitFlags.BigWrites | InitFlags.DoReaddirplus
        | InitFlags.ReaddirplusAuto | InitFlags.ParallelDirops | InitFlags.MaxPages | InitFlags.CacheSymlinks;

    /// <summary>The largest READ payload the kernel will ask for, fixed at INIT.</summary>
    public int MaxRead => _maxRead;

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
            logger.LogError("The kernel offers FUSE protocol {Major}.{Minor}; 7.{Oldest} or newer is needed", request.Major, request.Minor, OldestMinor);
            ReplyError(context, Errno.EPROTO);
            initialized.TrySetException(new NotSupportedException($"FUSE protocol {request.Major}.{request.Minor} is older than 7.{OldestMinor}"));
            return;
        }

        InitFlags granted = Wanted & (InitFlags)request.Flags;
        int maxPages = (granted & InitFlags.MaxPages) != 0 ? Math.Clamp(options.MaxPages, 1, 256) : 32;
        _maxRead = Math.Min(maxPages * 4096, LargeBufferPool.Size - OutHeader.Size);
        var reply = new InitOut
        {
            Major = 7,
            Minor = Math.Min(request.Minor, ProtocolMinor),
            MaxReadahead = request.MaxReadahead,
            Flags = (uint)granted,
            MaxBackground = 64,
            CongestionThreshold = 48,
            MaxWrite = FuseSession.MaxWrite,
            TimeGranularity = 1,
            MaxPages = (ushort)maxPages,
        };
        SendStruct(context, reply);
        logger.LogDebug("FUSE INIT: kernel 7.{KernelMinor}, answered 7.{Minor}, flags {Flags}, max pages {MaxPages}",
            request.Minor, reply.Minor, granted, maxPages);
        initialized.TrySetResult();
    }
}
