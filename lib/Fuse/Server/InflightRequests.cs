using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// Requests still waiting on a node, by unique id, so INTERRUPT can cancel them. Only requests that did not
/// complete synchronously are tracked: the common fast path never touches this table.
/// </summary>
internal sealed class InflightRequests
{
    // Bounds the interrupts remembered for requests not parked yet; request ids are never reused, so a stale one
    // (its request finished synchronously) is only dead weight, cleared past the bound.
    private const int MaxMissed = 4096;
    private readonly ConcurrentDictionary<ulong, RequestContext> _pending = new();
    private readonly ConcurrentDictionary<ulong, byte> _missed = new();

    /// <summary>
    /// Tracks a request that waits on its node. An INTERRUPT that arrived while it was still being dispatched
    /// cancels it now: over io_uring the kernel cannot retry an interrupt (its EAGAIN answer looks the request up
    /// among /dev/fuse's requests only).
    /// </summary>
    public void Track(RequestContext context)
    {
        _pending[context.Unique] = context;
        if (!_missed.IsEmpty && _missed.TryRemove(context.Unique, out _))
        {
            context.Cancel(context.Unique);
        }
    }

    public void Untrack(RequestContext context) => _pending.TryRemove(context.Unique, out _);

    /// <summary>Cancels the request; false when it is not (or no longer, or not yet) pending.</summary>
    public bool TryCancel(ulong unique)
    {
        if (!_pending.TryGetValue(unique, out RequestContext? context))
        {
            if (_missed.Count >= MaxMissed)
            {
                _missed.Clear();
            }

            _missed[unique] = 0;
            // Tracked in between: it is pending now, cancel it here (Track may have missed the mark).
            if (_pending.TryGetValue(unique, out context) && _missed.TryRemove(unique, out _))
            {
                context.Cancel(unique);
                return true;
            }

            return false;
        }

        context.Cancel(unique);
        return true;
    }

    /// <summary>Cancels everything still pending (the session is ending).</summary>
    public void CancelAll()
    {
        foreach (KeyValuePair<ulong, RequestContext> pair in _pending)
        {
            pair.Value.Cancel(pair.Key);
        }
    }

    public int Count => _pending.Count;
}
