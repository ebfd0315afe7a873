namespace PluggableSnapshotter.Fuse;

/// <summary>A node that reports its attributes (GETATTR, and the attributes of LOOKUP and READDIRPLUS replies).</summary>
public interface INodeGetattrer
{
    /// <summary>Returns the node's attributes. Called often; keep it cheap.</summary>
    /// <param name="cancellationToken">Cancelled when the kernel interrupts the request or the mount ends.</param>
    ValueTask<FuseResult<FuseAttributes>> GetattrAsync(CancellationToken cancellationToken);
}
