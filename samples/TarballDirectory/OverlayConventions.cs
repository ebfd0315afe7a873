namespace TarballDirectory;

/// <summary>
/// Turns an OCI layer's whiteout files into what overlayfs reads (as containerd's overlay applier writes them):
/// <c>.wh..wh..opq</c> becomes the <c>trusted.overlay.opaque=y</c> xattr of its directory, <c>.wh.NAME</c> a 0:0 character
/// device NAME with no permission bits, owned as the whiteout entry was. Directory times are put back afterwards (to 100 ns,
/// what .NET's file times hold). The layer root takes the snapshotter's defaults (0755, root), as containerd ignores "./".
/// </summary>
internal static class OverlayConventions
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";

    public static void Apply(string root)
    {
        Visit(root);
        Native.Chown(root, 0, 0);
        File.SetUnixFileMode(root, (UnixFileMode)0x1ED); // 0755
    }

    private static void Visit(string directory)
    {
        var changed = false;
        var modified = Directory.GetLastWriteTimeUtc(directory);
        var accessed = Directory.GetLastAccessTimeUtc(directory);
        foreach (var entry in new DirectoryInfo(directory).EnumerateFileSystemInfos())
        {
            if (entry.Name == OpaqueMarker)
            {
                File.Delete(entry.FullName);
                Native.SetXattr(directory, "trusted.overlay.opaque", "y"u8);
                changed = true;
            }
            else if (entry.Name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
            {
                var (uid, gid) = Native.Owner(entry.FullName);
                File.Delete(entry.FullName);
                var hidden = Path.Combine(directory, entry.Name[WhiteoutPrefix.Length..]);
                Native.MakeWhiteout(hidden, uid, gid);
                changed = true;
            }
            else if (entry is DirectoryInfo { LinkTarget: null } child)
            {
                Visit(child.FullName);
            }
        }

        if (!changed) return;
        Directory.SetLastWriteTimeUtc(directory, modified);
        Directory.SetLastAccessTimeUtc(directory, accessed);
    }
}
