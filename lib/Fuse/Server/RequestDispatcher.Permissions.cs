using PluggableSnapshotter.Fuse.Protocol;

namespace PluggableSnapshotter.Fuse.Server;

internal sealed partial class RequestDispatcher
{
    // access(2) mode bits (R_OK, W_OK, X_OK).
    private const uint AccessRead = 4;
    private const uint AccessExecute = 1;

    /// <summary>
    /// Without default_permissions the kernel leaves mode checks to the server: ACCESS, OPEN and OPENDIR are checked
    /// here against the caller's uid and gid from the request header. Root passes, except that execute needs some x
    /// bit on a file (as generic_permission does).
    /// </summary>
    private async ValueTask<Errno> CheckPermissionAsync(RequestContext context, FuseNode node, uint mask, CancellationToken token)
    {
        if (options.DefaultPermissions || mask == 0)
        {
            return Errno.None;
        }

        FuseResult<FuseAttributes> attributes = await GetAttributesAsync(node, token).ConfigureAwait(false);
        if (!attributes.IsSuccess)
        {
            return attributes.Error;
        }

        InHeader header = context.Header;
        return Allows(attributes.Value, header.Uid, header.Gid, mask) ? Errno.None : Errno.EACCES;
    }

    /// <summary>The owner, group or other bits that apply to the caller must hold every bit of the mask.</summary>
    internal static bool Allows(in FuseAttributes attributes, uint uid, uint gid, uint mask)
    {
        uint mode = attributes.Mode;
        if (uid == 0)
        {
            bool directory = (mode & FileModes.TypeMask) == FileModes.Directory;
            return (mask & AccessExecute) == 0 || directory || (mode & 0b001_001_001) != 0;
        }

        uint bits = uid == attributes.Uid ? (mode >> 6) & 7 : gid == attributes.Gid ? (mode >> 3) & 7 : mode & 7;
        return (bits & mask) == mask;
    }
}
