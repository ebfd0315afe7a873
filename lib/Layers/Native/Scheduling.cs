using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>The scheduling calls of one thread (Linux: a thread is a task with its own tid, nice value and policy).</summary>
internal static partial class Scheduling
{
    public const int SchedOther = 0;
    public const int SchedFifo = 1;
    public const int SchedRr = 2;
    public const int PrioProcess = 0;

    [StructLayout(LayoutKind.Sequential)]
    public struct SchedParam
    {
        public int Priority;
    }

    [LibraryImport("libc")]
    public static partial int gettid();

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setpriority(int which, uint who, int prio);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sched_getscheduler(int pid);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sched_getparam(int pid, out SchedParam param);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int sched_setscheduler(int pid, int policy, in SchedParam param);
}
