using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Layers.Native;

/// <summary>
/// Runs an async flow at a lower CPU priority (a higher nice value) wherever its code runs, so that it takes only CPU
/// time the rest of the node leaves. Linux keeps the nice value per thread, and a flow's awaits resume on whichever pool
/// thread is free, so the value travels as an <see cref="AsyncLocal{T}"/>: a thread is lowered while it runs the flow's
/// code (and that of tasks the flow starts) and put back when it goes on to other work. A thread created by a lowered
/// one inherits its nice value (the pool adds workers from whichever thread queues work), so while lowered flows run, a
/// sweep puts back every thread of the process that is not running one. Where the process may not raise a thread's
/// priority again (no CAP_SYS_NICE, an RLIMIT_NICE below the value), nothing is lowered: a pool thread left low would
/// slow whatever it ran next.
/// </summary>
public static partial class BackgroundCpuPriority
{
    private const int PrioProcess = 0; // with a thread id, Linux sets that one thread's nice value
    private const int MaxNice = 19;
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan SweepAfterLast = TimeSpan.FromSeconds(1); // threads a lowered one began may start late

    private static readonly AsyncLocal<int> LoweredTo = new(OnLoweredToChanged); // 0: not lowered; else the nice value
    private static readonly ConcurrentDictionary<int, byte> LoweredThreads = new(); // thread ids running a lowered flow
    private static readonly SemaphoreSlim SweepWanted = new(0);
    private static int _flows;
    private static long _threadsPutBack;
    private static volatile bool _sweepHeld;

    /// <summary>The nice value of the process's threads (that of the thread that first used this class).</summary>
    public static int ProcessNice { get; } = CurrentThreadNice();

    /// <summary>False where a thread, once lowered, could not be put back: <see cref="RunAsync{T}"/> then lowers nothing.</summary>
    public static bool Supported { get; } = ProbeRaiseBack();

    /// <summary>Threads the sweep found lowered while running no lowered flow, and put back (created by a lowered thread).</summary>
    public static long ThreadsPutBack => Interlocked.Read(ref _threadsPutBack);

    /// <summary>While true the sweep puts nothing back (tests: to see a thread's inherited value before it does).</summary>
    internal static bool SweepHeld
    {
        get => _sweepHeld;
        set => _sweepHeld = value;
    }

    /// <summary>Puts back every thread that runs no lowered flow now (tests; the sweep does it every 100 ms while flows run).</summary>
    internal static void SweepNow() => PutBackUnlistedThreads();

    static BackgroundCpuPriority()
    {
        if (Supported) new Thread(Sweep) { IsBackground = true, Name = "nice sweep" }.Start(); // started here, at the process's priority
    }

    /// <summary>
    /// Runs <paramref name="work"/> (started here) with its flow <paramref name="increment"/> nice values below the
    /// process's (as <c>nice -n</c>; at most 19); 0 runs it as any other code.
    /// </summary>
    public static async Task<T> RunAsync<T>(int increment, Func<Task<T>> work)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(increment);
        if (increment == 0 || !Supported) return await work().ConfigureAwait(false);
        Interlocked.Increment(ref _flows);
        SweepWanted.Release();
        try
        {
            // Set in this async method, the value flows into work() and what it starts, and the caller's flow keeps its own.
            LoweredTo.Value = Math.Min(MaxNice, ProcessNice + increment);
            return await work().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _flows);
        }
    }

    /// <summary>The nice value the calling thread runs at now.</summary>
    public static int CurrentThreadNice() => ThreadNice(Sys.gettid()) ?? 0;

    private static void OnLoweredToChanged(AsyncLocalValueChangedArgs<int> change)
    {
        if (change.CurrentValue == change.PreviousValue) return;
        var tid = Sys.gettid();
        if (change.CurrentValue != 0)
        {
            LoweredThreads[tid] = 0; // before lowering: the sweep never sees it low and unlisted
            Sys.setpriority(PrioProcess, tid, change.CurrentValue);
        }
        else
        {
            Sys.setpriority(PrioProcess, tid, ProcessNice);
            LoweredThreads.TryRemove(tid, out _);
        }
    }

    private static void Sweep()
    {
        while (true)
        {
            SweepWanted.Wait();
            while (SweepWanted.Wait(0)) { } // flows count themselves before they ask: the loop below sees each of them
            var lastFlowSeen = DateTime.UtcNow;
            while (Volatile.Read(ref _flows) > 0 || DateTime.UtcNow - lastFlowSeen < SweepAfterLast)
            {
                if (Volatile.Read(ref _flows) > 0) lastFlowSeen = DateTime.UtcNow;
                if (!_sweepHeld) PutBackUnlistedThreads();
                Thread.Sleep(SweepInterval);
            }
        }
    }

    private static void PutBackUnlistedThreads()
    {
        string[] tasks;
        try
        {
            tasks = Directory.GetDirectories("/proc/self/task");
        }
        catch (IOException)
        {
            return;
        }
        foreach (var task in tasks)
        {
            if (!int.TryParse(Path.GetFileName(task), out var tid) || LoweredThreads.ContainsKey(tid)) continue;
            // A thread listed after the check above and lowered may be put back here: it then runs its flow at the
            // process's priority until its next switch, which is harmless; a low thread unlisted is what must not stay.
            if (ThreadNice(tid) is { } nice && nice > ProcessNice && Sys.setpriority(PrioProcess, tid, ProcessNice) == 0)
                Interlocked.Increment(ref _threadsPutBack);
        }
    }

    private static int? ThreadNice(int tid)
    {
        Marshal.SetLastPInvokeError(0);
        var nice = Sys.getpriority(PrioProcess, tid); // -1 is a nice value too: errno tells an error
        return nice == -1 && Marshal.GetLastPInvokeError() != 0 ? null : nice;
    }

    // On a thread of its own, which ends with whatever value the probe left it.
    private static bool ProbeRaiseBack()
    {
        var processNice = ProcessNice;
        var raisedBack = false;
        var probe = new Thread(() =>
        {
            var tid = Sys.gettid();
            raisedBack = processNice < MaxNice
                && Sys.setpriority(PrioProcess, tid, processNice + 1) == 0
                && Sys.setpriority(PrioProcess, tid, processNice) == 0;
        }) { IsBackground = true, Name = "nice probe" };
        probe.Start();
        probe.Join();
        return raisedBack;
    }

    // Apart from the class: the probe's thread calls them while the class's static constructor waits for it.
    private static partial class Sys
    {
        [LibraryImport("libc")]
        public static partial int gettid();

        [LibraryImport("libc", SetLastError = true)]
        public static partial int getpriority(int which, int who);

        [LibraryImport("libc", SetLastError = true)]
        public static partial int setpriority(int which, int who, int prio);
    }
}
