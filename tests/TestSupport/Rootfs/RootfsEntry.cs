namespace PluggableSnapshotter.TestSupport.Rootfs;

/// <summary>
/// One path of a root filesystem with everything that makes two trees equal for a
/// container: type, permission bits, owner, size, content hash, link target, device
/// numbers, hard-link count and extended attributes. Times are left out on purpose.
/// </summary>
/// <param name="Path">Absolute inside the tree ("/" for the root itself).</param>
/// <param name="Type">file, dir, symlink, char, block, fifo or socket.</param>
/// <param name="Mode">Permission bits including setuid/setgid/sticky, in four octal digits ("0755", "4755").</param>
/// <param name="Uid">Owner user id.</param>
/// <param name="Gid">Owner group id.</param>
/// <param name="Size">Byte size for files and symlinks; 0 for the rest (directory sizes vary by filesystem).</param>
/// <param name="Sha256">Content hash of regular files, else null.</param>
/// <param name="LinkTarget">Target of symlinks, else null.</param>
/// <param name="Device">"major:minor" of device nodes, else null.</param>
/// <param name="LinkCount">Hard-link count of regular files; 0 for the rest.</param>
/// <param name="Xattrs">name=hex(value) pairs, sorted, joined by ';'.</param>
public sealed record RootfsEntry(
    string Path,
    string Type,
    string Mode,
    long Uid,
    long Gid,
    long Size,
    string? Sha256,
    string? LinkTarget,
    string? Device,
    long LinkCount,
    string Xattrs)
{
    /// <summary>One line, e.g. "/bin/sh symlink 0777 0:0 size=7 -> busybox".</summary>
    public override string ToString()
    {
        var text = $"{Path} {Type} {Mode} {Uid}:{Gid} size={Size}";
        if (Sha256 is not null)
        {
            text += $" sha256={Sha256[..12]} nlink={LinkCount}";
        }
        if (LinkTarget is not null)
        {
            text += $" -> {LinkTarget}";
        }
        if (Device is not null)
        {
            text += $" dev={Device}";
        }
        if (Xattrs.Length > 0)
        {
            text += $" xattrs[{Xattrs}]";
        }
        return text;
    }
}
