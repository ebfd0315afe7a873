using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// Calls <see cref="IdleReleasingArrayPool.OnFullCollection"/> after full collections: an unreachable object whose
/// finalizer runs once per collection that finds it dead and registers itself again. Once promoted to gen2 (after its
/// first two collections) that is once per gen2 collection. It holds its pool through a weak GC handle (not a
/// <see cref="WeakReference{T}"/>, whose own finalizer would free the handle in the same collection), so a dropped pool
/// is collected and the callback ends with it.
/// </summary>
internal sealed class FullCollectionCallback
{
    private GCHandle _pool;

    private FullCollectionCallback(IdleReleasingArrayPool pool) => _pool = GCHandle.Alloc(pool, GCHandleType.Weak);

    public static void Register(IdleReleasingArrayPool pool) => _ = new FullCollectionCallback(pool);

    ~FullCollectionCallback()
    {
        if (_pool.Target is not IdleReleasingArrayPool pool)
        {
            _pool.Free();
            return;
        }
        pool.OnFullCollection();
        GC.ReRegisterForFinalize(this);
    }
}
