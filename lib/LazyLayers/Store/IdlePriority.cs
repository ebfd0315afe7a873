using System.Runtime.InteropServices;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// Puts the calling thread in Linux's idle scheduling class (SCHED_IDLE): it runs only on CPUs nothing else wants. For
/// work that may wait as long as it likes, such as deleting a filled layer's partial files (the kernel frees the pages
/// of a 333 MB tmpfs file in ~45 ms of CPU, in the deleting thread's name).
/// </summary>
internal static partial class IdlePriority
{
    private const int SchedIdle = 5;

    /// <summary>True when the thread is now in the idle class; false where the kernel refused (it then runs as before).</summary>
    public static bool ApplyToCurrentThread()
    {
        var parameter = 0; // struct sched_param { int sched_priority; }, 0 for SCHED_IDLE
        return sched_setscheduler(0, SchedIdle, ref parameter) == 0; // pid 0: the calling thread
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sched_setscheduler(int pid, int policy, ref int parameter);
}
