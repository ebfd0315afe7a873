using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace PluggableSnapshotter.Fuse.Interop;

/// <summary>
/// Passes file descriptors between processes over a unix socket (SCM_RIGHTS, unix(7)), reads the peer's process id
/// (SO_PEERCRED) and polls descriptors: what a FUSE keeper needs beyond .NET's sockets.
/// </summary>
internal static unsafe partial class UnixRights
{
    private const int SolSocket = 1;
    private const int ScmRights = 1;
    private const int SoPeerCredentials = 17;
    private const int MsgNoSignal = 0x4000;
    private const int MsgCmsgCloexec = 0x40000000;

    // CMSG_SPACE(sizeof(int)) on 64-bit Linux: a 16-byte cmsghdr, the int, padding to 8.
    private const int ControlSpace = 24;
    private const int ControlLength = 20; // CMSG_LEN(sizeof(int))
    private const int ControlDataOffset = 16;

    private const int EINTR = 4;

    public const short PollIn = 0x1;
    public const short PollError = 0x8;
    public const short PollHangUp = 0x10;
    public const short PollInvalid = 0x20;

    /// <summary>Sends one message, with <paramref name="fd"/> attached when it is not -1.</summary>
    public static void Send(SafeHandle socket, ReadOnlySpan<byte> data, int fd)
    {
        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        fixed (byte* bytes = data)
        {
            var vector = new Libc.IoVector { Base = bytes, Length = (nuint)data.Length };
            var message = new MessageHeader { Vectors = &vector, VectorCount = 1 };
            if (fd >= 0)
            {
                *(nuint*)control = ControlLength;
                *(int*)(control + 8) = SolSocket;
                *(int*)(control + 12) = ScmRights;
                *(int*)(control + ControlDataOffset) = fd;
                message.Control = control;
                message.ControlLength = ControlSpace;
            }

            while (SendMessage(socket, &message, MsgNoSignal) < 0)
            {
                int errno = Libc.LastErrno;
                if (errno != EINTR) throw new IOException($"sendmsg failed: {Libc.Describe(errno)}", errno);
            }
        }
    }

    /// <summary>Receives one message into <paramref name="buffer"/>; 0 when the peer closed. An attached descriptor comes back close-on-exec.</summary>
    public static int Receive(SafeHandle socket, Span<byte> buffer, out SafeFileHandle? fd)
    {
        fd = null;
        byte* control = stackalloc byte[ControlSpace];
        new Span<byte>(control, ControlSpace).Clear();
        fixed (byte* bytes = buffer)
        {
            var vector = new Libc.IoVector { Base = bytes, Length = (nuint)buffer.Length };
            var message = new MessageHeader { Vectors = &vector, VectorCount = 1, Control = control, ControlLength = ControlSpace };
            nint received;
            while ((received = ReceiveMessage(socket, &message, MsgCmsgCloexec)) < 0)
            {
                int errno = Libc.LastErrno;
                if (errno != EINTR) throw new IOException($"recvmsg failed: {Libc.Describe(errno)}", errno);
            }

            if (message.ControlLength >= ControlLength && *(int*)(control + 8) == SolSocket && *(int*)(control + 12) == ScmRights)
            {
                fd = new SafeFileHandle(*(int*)(control + ControlDataOffset), ownsHandle: true);
            }

            return (int)received;
        }
    }

    /// <summary>The process id at the other end of a connected unix socket.</summary>
    public static int PeerProcessId(SafeHandle socket)
    {
        Credentials credentials;
        uint length = (uint)sizeof(Credentials);
        return GetSocketOption(socket, SolSocket, SoPeerCredentials, &credentials, &length) == 0 ? credentials.ProcessId : 0;
    }

    /// <summary>The events pending on <paramref name="fd"/> within <paramref name="timeoutMilliseconds"/> (0: none yet).</summary>
    public static short Poll(SafeHandle fd, short events, int timeoutMilliseconds)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            var poll = new PollDescriptor { Fd = (int)fd.DangerousGetHandle(), Events = events };
            long deadline = Environment.TickCount64 + timeoutMilliseconds;
            while (true)
            {
                int ready = PollDescriptors(&poll, 1, timeoutMilliseconds);
                if (ready >= 0 || Libc.LastErrno != EINTR) return ready > 0 ? poll.ReturnedEvents : (short)0;
                // A signal (SIGCHLD of any child process the daemon started) ends poll early: wait out the rest.
                timeoutMilliseconds = timeoutMilliseconds < 0 ? timeoutMilliseconds : (int)Math.Max(0, deadline - Environment.TickCount64);
            }
        }
        finally
        {
            if (added)
            {
                fd.DangerousRelease();
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMessage(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "recvmsg", SetLastError = true)]
    private static partial nint ReceiveMessage(SafeHandle socket, MessageHeader* message, int flags);

    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    private static partial int GetSocketOption(SafeHandle socket, int level, int name, void* value, uint* length);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int PollDescriptors(PollDescriptor* descriptors, nuint count, int timeout);

    // struct msghdr (socket.h), 64-bit layout.
    [StructLayout(LayoutKind.Sequential)]
    private struct MessageHeader
    {
        public void* Name;
        public uint NameLength;
        public Libc.IoVector* Vectors;
        public nuint VectorCount;
        public void* Control;
        public nuint ControlLength;
        public int Flags;
    }

    // struct ucred (socket(7)).
    [StructLayout(LayoutKind.Sequential)]
    private struct Credentials
    {
        public int ProcessId;
        public uint UserId;
        public uint GroupId;
    }

    // struct pollfd (poll(2)).
    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }
}
