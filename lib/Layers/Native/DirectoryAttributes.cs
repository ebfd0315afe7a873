namespace PluggableSnapshotter.Layers.Native;

/// <summary>Sets the attributes the overlay conventions care about on an existing directory (links not followed).</summary>
public static class DirectoryAttributes
{
    /// <summary>Owner, permission bits (setuid, setgid and sticky included) and modification time of <paramref name="path"/>.</summary>
    /// <exception cref="IOException">A call failed.</exception>
    public static void Set(string path, uint permissions, uint uid, uint gid, Timespec modified)
    {
        Libc.Check(Libc.lchown(path, uid, gid), "lchown", path); // before chmod: chown clears setuid and setgid
        Libc.Check(Libc.chmod(path, permissions & Libc.ModeBits), "chmod", path);
        FileTimes.SetNoFollow(path, modified, modified);
    }
}
