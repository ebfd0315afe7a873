using System.Runtime.InteropServices;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// Calls back after full (gen2) collections, for pools that let idle arrays go (<see cref="IdleReleasingArrayPool"/>,
/// the lazy backends' span cache): an unreachable object whose finalizer runs once per collection that finds it dead
/// and registers itself again. Once promoted to gen2 (after its first two collections) that is once per gen2
/// collection. It holds its target through a weak GC handle (not a <see cref="WeakReference{T}"/>, whose own finalizer
/// would free the handle in the same collection), so a dropped target is collected and the callback ends with it.
/// </summary>
public sealed class FullCollectionCallback
{
    private readonly Action<object> _callback;
    private GCHandle _target;

    private FullCollectionCallback(object target, Action<object> callback)
    {
        _target = GCHandle.Alloc(target, GCHandleType.Weak);
        _callback = callback;
    }

    /// <summary>
    /// Calls <paramref name="callback"/> with <paramref name="target"/> after each full collection while the target lives
    /// (on the finalizer thread: it must be quick and must not throw). The callback must not hold the target itself (a
    /// static lambda), or the target would never be collected.
    /// </summary>
    public static void Register<T>(T target, Action<T> callback) where T : class
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(callback);
        _ = new FullCollectionCallback(target, o => callback((T)o));
    }

    ~FullCollectionCallback()
    {
        if (_target.Target is not { } target)
        {
            _target.Free();
            return;
        }
        _callback(target);
        GC.ReRegisterForFinalize(this);
    }
}
