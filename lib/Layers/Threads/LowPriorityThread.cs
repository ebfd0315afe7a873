namespace PluggableSnapshotter.Layers.Threads;

/// <summary>
/// Runs work on a thread of its own that lowers its priority first (<see cref="LowPriority"/>): thread-pool threads are
/// shared with foreground work, so their priority is not ours to change. The work stays on that thread only while its
/// awaits complete synchronously (the applier's low-priority pipeline blocks instead of awaiting; see
/// <c>ReadAheadStream</c>); an await that does yield resumes on the pool, which is correct, only not low priority.
/// </summary>
internal static class LowPriorityThread
{
    /// <summary>
    /// Starts <paramref name="work"/> on a new background thread named <paramref name="name"/> (Linux shows its first 15
    /// characters as the thread's comm) at <paramref name="nice"/>. The returned task completes on the thread pool, never
    /// inline on the low-priority thread, so what the caller does next runs at its own priority.
    /// </summary>
    public static Task<T> RunAsync<T>(string name, int nice, Func<Task<T>> work, Action<int>? notLowered = null)
    {
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var errno = LowPriority.LowerCurrentThread(nice);
            if (errno != 0) notLowered?.Invoke(errno);
            try
            {
                done.TrySetResult(work().GetAwaiter().GetResult());
            }
            catch (OperationCanceledException ex)
            {
                done.TrySetCanceled(ex.CancellationToken);
            }
            catch (Exception ex)
            {
                done.TrySetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start(); // flows the caller's execution context: log scopes stay the caller's
        return done.Task;
    }

    /// <summary>As <see cref="RunAsync{T}"/>, for work without a result.</summary>
    public static Task RunAsync(string name, int nice, Func<Task> work, Action<int>? notLowered = null) =>
        RunAsync(name, nice, async () =>
        {
            await work().ConfigureAwait(false);
            return true;
        }, notLowered);
}
