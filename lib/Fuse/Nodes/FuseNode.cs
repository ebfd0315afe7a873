namespace PluggableSnapshotter.Fuse;

/// <summary>
/// An inode served over FUSE. Subclass it and implement the capability interfaces the node supports
/// (<see cref="INodeGetattrer"/>, <see cref="INodeLookuper"/>, <see cref="INodeReader"/>, ...); the server
/// answers every other operation itself (ENOENT, ENODATA, EROFS, ...).
/// </summary>
/// <remarks>
/// The kernel knows a node by a node id the server assigns the first time the node is handed out; the id
/// stays with the object for its whole life and is never reused, so ids and generations are stable while the
/// mount lives. Return the same object for the same file on every lookup (keep nodes in a tree, as
/// <see cref="InMemory.MemoryDirectory"/> does): a fresh object per lookup looks like a new inode to the kernel.
/// Node callbacks may run concurrently on several threads.
/// </remarks>
public abstract class FuseNode
{
    // Node ids are process-wide so one node object may be served by more than one mount.
    private static long s_lastNodeId = 1;

    private long _nodeId;
    private int _faultLogged;

    /// <summary>The kernel node id of this object (assigned on first use, never 1: that is the root's).</summary>
    internal ulong NodeId
    {
        get
        {
            long id = Volatile.Read(ref _nodeId);
            if (id != 0)
            {
                return (ulong)id;
            }

            long fresh = Interlocked.Increment(ref s_lastNodeId);
            long existing = Interlocked.CompareExchange(ref _nodeId, fresh, 0);
            return (ulong)(existing == 0 ? fresh : existing);
        }
    }

    /// <summary>True the first time a fault of this node is reported, so each node is logged once.</summary>
    internal bool TryMarkFaultLogged() => Interlocked.Exchange(ref _faultLogged, 1) == 0;
}
