using System.Collections.Concurrent;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Layers.Tests;

/// <summary>
/// <see cref="BackgroundCpuPriority"/>: a flow runs lowered on every thread that runs it, and nothing else does, also a
/// thread a lowered one created (root only: putting a thread's priority back up needs CAP_SYS_NICE).
/// </summary>
public sealed class BackgroundCpuPriorityTests
{
    private const int Increment = 7;
    private static readonly TimeSpan Bounded = TimeSpan.FromSeconds(30);
    private static int ProcessNice => BackgroundCpuPriority.ProcessNice;
    private static int Lowered => Math.Min(19, ProcessNice + Increment);

    [RootOnlyFact]
    public async Task RunAsync_LowersEveryThreadWhileItRunsTheFlow_AndPutsItBackAfter()
    {
        Assert.True(BackgroundCpuPriority.Supported);
        var inside = new ConcurrentQueue<int>();
        var threads = new ConcurrentDictionary<int, byte>();
        void Note()
        {
            inside.Enqueue(BackgroundCpuPriority.CurrentThreadNice());
            threads[Environment.CurrentManagedThreadId] = 0;
        }

        var result = await BackgroundCpuPriority.RunAsync(Increment, async () =>
        {
            for (var i = 0; i < 20; i++)
            {
                Note();
                await Task.Delay(1); // resumes on whichever pool thread is free
                Note();
                await Task.Run(Note); // a task the flow starts
                await Task.Yield();
            }
            return 42;
        }).WaitAsync(Bounded);

        Assert.Equal(42, result);
        Assert.All(inside, nice => Assert.Equal(Lowered, nice));
        Assert.True(threads.Count > 1, "the flow never changed threads: nothing shows the value following it");
        Assert.Equal(ProcessNice, BackgroundCpuPriority.CurrentThreadNice());
        // The pool's threads, the flow's among them, run other work at the process's priority (once swept: a worker the
        // pool added from a lowered thread meanwhile starts lowered, as the last test shows).
        BackgroundCpuPriority.SweepNow();
        var others = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => Task.Run(async () =>
        {
            await Task.Yield();
            return BackgroundCpuPriority.CurrentThreadNice();
        }))).WaitAsync(Bounded);
        Assert.All(others, nice => Assert.Equal(ProcessNice, nice));
    }

    [RootOnlyFact]
    public async Task RunAsync_ZeroIncrement_LowersNothing()
    {
        var nice = await BackgroundCpuPriority.RunAsync(0, async () =>
        {
            await Task.Yield();
            return BackgroundCpuPriority.CurrentThreadNice();
        }).WaitAsync(Bounded);

        Assert.Equal(ProcessNice, nice);
    }

    [RootOnlyFact]
    public async Task AThreadALoweredOneCreated_InheritsItsNiceValue_AndIsPutBack()
    {
        var started = new ManualResetEventSlim();
        var release = new ManualResetEventSlim();
        var atStart = int.MinValue;
        var atEnd = int.MinValue;
        Thread? created = null;
        long putBackBefore = BackgroundCpuPriority.ThreadsPutBack;
        BackgroundCpuPriority.SweepHeld = true; // so the thread's inherited value can be seen before the sweep puts it back
        try
        {
            await BackgroundCpuPriority.RunAsync(Increment, () =>
            {
                // As the pool adds a worker: a thread that starts without the flow's context, from a lowered thread.
                created = new Thread(() =>
                {
                    atStart = BackgroundCpuPriority.CurrentThreadNice();
                    started.Set();
                    release.Wait(Bounded);
                    atEnd = BackgroundCpuPriority.CurrentThreadNice();
                }) { IsBackground = true };
                created.UnsafeStart();
                return Task.FromResult(0);
            }).WaitAsync(Bounded);
            Assert.True(started.Wait(Bounded), "the created thread did not start");
            BackgroundCpuPriority.SweepNow();
        }
        finally
        {
            BackgroundCpuPriority.SweepHeld = false;
            release.Set();
        }

        Assert.True(created!.Join(Bounded), "the created thread did not end");
        Assert.Equal(Lowered, atStart);
        Assert.Equal(ProcessNice, atEnd);
        Assert.True(BackgroundCpuPriority.ThreadsPutBack > putBackBefore);
    }
}
