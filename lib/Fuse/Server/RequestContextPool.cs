using System.Collections.Concurrent;

namespace PluggableSnapshotter.Fuse.Server;

/// <summary>Recycles request contexts (and their large pinned buffers) across requests.</summary>
internal sealed class RequestContextPool(int inputSize, int outputSize)
{
    // Contexts beyond this many idle ones are left to the GC, so a burst of slow reads does not pin memory forever.
    private const int MaxIdle = 64;
    private readonly ConcurrentBag<RequestContext> _idle = [];

    public RequestContext Rent() => _idle.TryTake(out RequestContext? context) ? context : new RequestContext(inputSize, outputSize);

    public void Return(RequestContext context)
    {
        context.Reset();
        if (_idle.Count < MaxIdle)
        {
            _idle.Add(context);
        }
    }
}
