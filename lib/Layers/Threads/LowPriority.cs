using System.Runtime.InteropServices;
using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.Layers.Threads;

/// <summary>
/// Lowers the calling thread below the rest of its process, so that work nobody waits for (a background fill's inflate,
/// hashing and file writes) takes only the CPU that foreground work leaves: the daemon's FUSE and gRPC threads, and the
/// container starts (containerd, shim, runc) they serve. A thread of an ordinary process gets the nice value given; a
/// thread of a real-time process (a benchmark under <c>chrt -f</c>) goes to the lowest real-time priority, still above
/// unrelated ordinary processes but below its own process's other threads and peers.
/// </summary>
internal static class LowPriority
{
    /// <summary>Lowers the calling thread (only it: Linux keeps the nice value and policy per thread).</summary>
    /// <returns>The errno of the call that failed, or 0.</returns>
    public static int LowerCurrentThread(int nice)
    {
        var tid = Scheduling.gettid();
        var policy = Scheduling.sched_getscheduler(tid);
        if (policy is Scheduling.SchedFifo or Scheduling.SchedRr
            && Scheduling.sched_getparam(tid, out var current) == 0 && current.Priority > 1)
        {
            return Scheduling.sched_setscheduler(tid, policy, new Scheduling.SchedParam { Priority = 1 }) == 0 ? 0 : Marshal.GetLastPInvokeError();
        }

        return Scheduling.setpriority(Scheduling.PrioProcess, (uint)tid, nice) == 0 ? 0 : Marshal.GetLastPInvokeError();
    }
}
