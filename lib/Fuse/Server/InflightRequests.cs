using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>
/// Requests still waiting on a node, by unique id, so INTERRUPT can cancel them. Only requests that did not
/// complete synchronously are tracked: the common fast path never touches this table.
/// </summary>
internal sealed class InflightRequests
{
    private readonly ConcurrentDictionary<ulong, RequestContext> _pending = new();

    public void Track(RequestContext context) => _pending[context.Unique] = context;

    public void Untrack(RequestContext context) => _pending.TryRemove(context.Unique, out _);

    /// <summary>Cancels the request; false when it is not (or no longer, or not yet) pending.</summary>
    public bool TryCancel(ulong unique)
    {
        if (!_pending.TryGetValue(unique, out RequestContext? context))
        {
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
