namespace PluggableSnapshotter.Fuse;

/// <summary>
/// Linux errno values a node may answer with (asm-generic/errno-base.h, errno.h).
/// Nodes report failures as values, never as exceptions.
/// </summary>
public enum Errno
{
    /// <summary>Success.</summary>
    None = 0,
    /// <summary>Operation not permitted.</summary>
    EPERM = 1,
    /// <summary>No such file or directory.</summary>
    ENOENT = 2,
    /// <summary>Interrupted system call.</summary>
    EINTR = 4,
    /// <summary>I/O error.</summary>
    EIO = 5,
    /// <summary>No such device or address.</summary>
    ENXIO = 6,
    /// <summary>Bad file descriptor.</summary>
    EBADF = 9,
    /// <summary>Try again.</summary>
    EAGAIN = 11,
    /// <summary>Out of memory.</summary>
    ENOMEM = 12,
    /// <summary>Permission denied.</summary>
    EACCES = 13,
    /// <summary>Device or resource busy.</summary>
    EBUSY = 16,
    /// <summary>No such device.</summary>
    ENODEV = 19,
    /// <summary>Not a directory.</summary>
    ENOTDIR = 20,
    /// <summary>Is a directory.</summary>
    EISDIR = 21,
    /// <summary>Invalid argument.</summary>
    EINVAL = 22,
    /// <summary>Read-only file system.</summary>
    EROFS = 30,
    /// <summary>Result too large (buffer too small for an xattr value or list).</summary>
    ERANGE = 34,
    /// <summary>File name too long.</summary>
    ENAMETOOLONG = 36,
    /// <summary>Function not implemented.</summary>
    ENOSYS = 38,
    /// <summary>Too many symbolic links.</summary>
    ELOOP = 40,
    /// <summary>No data available (no such xattr).</summary>
    ENODATA = 61,
    /// <summary>Protocol error.</summary>
    EPROTO = 71,
    /// <summary>Value too large for defined data type.</summary>
    EOVERFLOW = 75,
    /// <summary>Operation not supported.</summary>
    EOPNOTSUPP = 95,
    /// <summary>Software caused connection abort.</summary>
    ECONNABORTED = 103,

    /// <summary>Transport endpoint is not connected (a FUSE mount whose server died).</summary>
    ENOTCONN = 107,

    /// <summary>Operation canceled.</summary>
    ECANCELED = 125,
    /// <summary>Connection timed out.</summary>
    ETIMEDOUT = 110,
    /// <summary>Stale file handle (a node id the server no longer knows).</summary>
    ESTALE = 116,
}
