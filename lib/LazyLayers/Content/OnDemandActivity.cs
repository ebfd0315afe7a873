using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// Counts the on-demand fetches in flight. As a gate of the background fill it holds each fill request back until none
/// is in flight, so a reader never shares the registry's bandwidth with the fill.
/// </summary>
public sealed class OnDemandActivity : IDownloadGate
{
    private readonly Lock _lock = new();
    private int _inFlight;
    private TaskCompletionSource _idle = Completed();

    /// <summary>Fetches in flight now.</summary>
    public int InFlight
    {
        get
        {
            lock (_lock) return _inFlight;
        }
    }

    /// <summary>Marks a fetch in flight until the returned scope is disposed.</summary>
    public IDisposable Begin()
    {
        lock (_lock)
        {
            if (_inFlight++ == 0) _idle = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
        return new Scope(this);
    }

    public Task WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        Task idle;
        lock (_lock) idle = _idle.Task;
        return idle.WaitAsync(cancellationToken);
    }

    private void End()
    {
        lock (_lock)
        {
            if (--_inFlight == 0) _idle.TrySetResult();
        }
    }

    private static TaskCompletionSource Completed()
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        done.SetResult();
        return done;
    }

    private sealed class Scope(OnDemandActivity owner) : IDisposable
    {
        private int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) owner.End();
        }
    }
}
