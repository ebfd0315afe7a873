using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Fuse.Interop;

/// <summary>
/// The raw io_uring system calls and the few others the ring transport needs (io_uring_setup(2),
/// io_uring_enter(2), mmap(2), eventfd(2), sched_setaffinity(2)). Layouts and numbers are linux/io_uring.h's.
/// </summary>
internal static unsafe partial class IoUringSyscalls
{
    // Generic syscall table numbers, the same on x86-64 and arm64.
    private const long SysIoUringSetup = 425;
    private const long SysIoUringEnter = 426;

    public const uint SetupSqe128 = 1 << 10; // IORING_SETUP_SQE128: 128-byte entries, room for a uring_cmd's 80 bytes
    public const uint FeatureSingleMmap = 1 << 0; // IORING_FEAT_SINGLE_MMAP
    public const uint EnterGetEvents = 1 << 0; // IORING_ENTER_GETEVENTS

    public const long OffsetSqRing = 0; // IORING_OFF_SQ_RING
    public const long OffsetCqRing = 0x8000000; // IORING_OFF_CQ_RING
    public const long OffsetSqes = 0x10000000; // IORING_OFF_SQES

    private const int ProtRead = 1;
    private const int ProtWrite = 2;
    private const int MapShared = 1;
    private const int MapPopulate = 0x8000;
    private const int EfdCloexec = 0x80000;

    /// <summary>struct io_sqring_offsets.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct SqRingOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Flags, Dropped, Array, Reserved1;
        public ulong UserAddress;
    }

    /// <summary>struct io_cqring_offsets.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct CqRingOffsets
    {
        public uint Head, Tail, RingMask, RingEntries, Overflow, Cqes, Flags, Reserved1;
        public ulong UserAddress;
    }

    /// <summary>struct io_uring_params (120 bytes).</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Params
    {
        public uint SqEntries, CqEntries, Flags, SqThreadCpu, SqThreadIdle, Features, WqFd;
        public uint Reserved0, Reserved1, Reserved2;
        public SqRingOffsets SqOffsets;
        public CqRingOffsets CqOffsets;
    }

    /// <summary>struct io_uring_cqe without the CQE32 extension.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Completion
    {
        public ulong UserData;
        public int Result;
        public uint Flags;
    }

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Syscall(long number, long a1, long a2, long a3, long a4, long a5, long a6);

    public static int Setup(uint entries, Params* parameters) => (int)Syscall(SysIoUringSetup, entries, (long)parameters, 0, 0, 0, 0);

    public static int Enter(int ring, uint toSubmit, uint minComplete, uint flags) =>
        (int)Syscall(SysIoUringEnter, ring, toSubmit, minComplete, flags, 0, 0);

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    private static partial nint Mmap(nint address, nuint length, int protection, int flags, int fd, long offset);

    /// <summary>Maps a region of the ring (shared, populated); throws with the errno on failure.</summary>
    public static byte* MapRing(int ring, nuint length, long offset)
    {
        nint address = Mmap(0, length, ProtRead | ProtWrite, MapShared | MapPopulate, ring, offset);
        if (address == -1)
        {
            int errno = Libc.LastErrno;
            throw new IOException($"mmap of the io_uring ring failed: {Libc.Describe(errno)}", errno);
        }

        return (byte*)address;
    }

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(byte* address, nuint length);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    private static partial int EventFd(uint initial, int flags);

    /// <summary>An eventfd (close-on-exec) used to wake a ring's thread from other threads.</summary>
    public static int CreateEventFd()
    {
        int fd = EventFd(0, EfdCloexec);
        if (fd < 0)
        {
            int errno = Libc.LastErrno;
            throw new IOException($"eventfd failed: {Libc.Describe(errno)}", errno);
        }

        return fd;
    }

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteRaw(int fd, void* buffer, nuint count);

    /// <summary>Adds one to an eventfd's counter, waking whoever waits on it.</summary>
    public static void Signal(int eventFd)
    {
        ulong one = 1;
        WriteRaw(eventFd, &one, sizeof(ulong));
    }

    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int SchedSetAffinity(int pid, nuint size, ulong* mask);

    /// <summary>Pins the calling thread to one CPU; false when the CPU is not available to this process.</summary>
    public static bool PinCurrentThread(int cpu)
    {
        const int Words = 16; // cpu_set_t: 1024 bits
        if (cpu < 0 || cpu >= Words * 64)
        {
            return false;
        }

        ulong* mask = stackalloc ulong[Words];
        new Span<ulong>(mask, Words).Clear();
        mask[cpu / 64] = 1UL << (cpu % 64);
        return SchedSetAffinity(0, Words * sizeof(ulong), mask) == 0;
    }

    /// <summary>
    /// How many CPUs the kernel may ever bring online (/sys/devices/system/cpu/possible, e.g. "0-3" → 4): the
    /// kernel's number of ring queues. 0 when it cannot be read (no guess: a queue too few and the ring is never ready).
    /// </summary>
    public static int PossibleCpuCount()
    {
        try
        {
            string text = File.ReadAllText("/sys/devices/system/cpu/possible").Trim();
            int count = 0;
            foreach (string range in text.Split(',', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] bounds = range.Split('-');
                int first = int.Parse(bounds[0], System.Globalization.CultureInfo.InvariantCulture);
                int last = bounds.Length > 1 ? int.Parse(bounds[1], System.Globalization.CultureInfo.InvariantCulture) : first;
                count += last - first + 1;
            }

            return count;
        }
        catch (Exception exception) when (exception is IOException or FormatException or UnauthorizedAccessException)
        {
            return 0;
        }
    }
}
