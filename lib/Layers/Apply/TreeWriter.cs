using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Tar;

namespace PluggableSnapshotter.Layers.Apply;

/// <summary>
/// Writes tar entries into a (staging) layer directory the way containerd's applier does, with the overlay conventions:
/// whiteouts become 0:0 character devices, opaque markers an <c>overlay.opaque</c> xattr. Nothing is written through a
/// symbolic link or outside the root. Paths are raw (<see cref="RawPath"/>): names are created byte for byte.
/// </summary>
internal sealed partial class TreeWriter(string root, bool userXattr, TarArchiveReader reader, IReadOnlyList<string> parents,
    IAppliedFiles? applied = null)
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    // Everything under the root was created by this writer, so what exists there is known without asking the file system.
    private readonly Dictionary<string, Kind> _kinds = new(StringComparer.Ordinal) { [""] = Kind.Directory };
    private readonly List<(string Path, Timespec Accessed, Timespec Modified)> _directoryTimes = [];
    private readonly SortedSet<string> _ignoredXattrs = new(StringComparer.Ordinal);
    private readonly byte[] _buffer = new byte[256 * 1024];

    private string OpaqueXattr => userXattr ? "user.overlay.opaque" : "trusted.overlay.opaque";

    /// <summary>Xattrs skipped as containerd skips them: <c>trusted.*</c>, and those the file system refused as unsupported (ENOTSUP).</summary>
    public IReadOnlyCollection<string> IgnoredXattrs => _ignoredXattrs;

    /// <summary>Entries whose xattrs were skipped.</summary>
    public int EntriesWithIgnoredXattrs { get; private set; }

    public async Task ApplyAsync(TarHeader entry, CancellationToken cancellationToken)
    {
        if (entry.TypeFlag == TarTypeFlags.PaxGlobal) return; // containerd ignores PAX global headers
        var display = entry.DisplayName;
        if (!IsApplicable(entry.TypeFlag))
            throw new InvalidDataException($"layer entry '{display}' has tar type {TarTypeFlags.Describe(entry.TypeFlag)}{TypeHint(entry.TypeFlag)}, which containerd's applier does not handle (unhandled tar header type {entry.TypeFlag})");

        var parts = EntryPath.Split(RawPath.FromBytes(entry.NameBytes), display);
        // containerd skips an entry that resolves to the layer root ("file ignored: resolved to root"): the root keeps the
        // mode, owner and times the snapshotter gave the directory, whatever "./" says.
        if (parts.Length == 0) return;

        var name = parts[^1];
        var parent = string.Join('/', parts[..^1]);
        EnsureDirectory(parts[..^1], display);
        if (name == OpaqueMarker)
        {
            if (RawFs.SetXattr(Full(parent), OpaqueXattr, "y"u8) != 0)
                throw new IOException($"layer entry '{display}': the file system under the layer does not support {OpaqueXattr}, which marks opaque directories");
            return;
        }

        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            WriteWhiteout(entry, parent, name[WhiteoutPrefix.Length..], display);
            return;
        }

        var relative = parent.Length == 0 ? name : parent + "/" + name;
        var path = Full(relative);
        var existing = Probe(relative);
        if (existing != Kind.Missing && !(existing == Kind.Directory && entry.TypeFlag == TarTypeFlags.Directory))
            Remove(relative, existing);
        _kinds[relative] = entry.TypeFlag switch
        {
            TarTypeFlags.Directory => Kind.Directory,
            TarTypeFlags.Symlink => Kind.Symlink,
            _ => Kind.Other,
        };

        switch (entry.TypeFlag)
        {
            case TarTypeFlags.Directory:
                if (existing != Kind.Directory) RawFs.Mkdir(path, Libc.Mode0755);
                ApplyMetadata(entry, path, isDirectory: true);
                break;
            case TarTypeFlags.Regular:
                await WriteFileAsync(entry, path, cancellationToken).ConfigureAwait(false);
                break;
            case TarTypeFlags.Symlink:
                RawFs.Symlink(RawPath.FromBytes(entry.LinkNameBytes), path);
                ApplyMetadata(entry, path, isDirectory: false, isSymlink: true);
                break;
            case TarTypeFlags.HardLink:
                WriteHardLink(entry, path, display);
                break;
            default: // character and block devices, fifos
                var type = entry.TypeFlag switch { TarTypeFlags.Char => Libc.SIfChr, TarTypeFlags.Block => Libc.SIfBlk, _ => Libc.SIfIfo };
                var device = entry.TypeFlag == TarTypeFlags.Fifo ? 0 : Libc.MakeDev(unchecked((uint)entry.DevMajor), unchecked((uint)entry.DevMinor));
                RawFs.Mknod(path, type | ((uint)entry.Mode & Libc.ModeBits), device);
                ApplyMetadata(entry, path, isDirectory: false);
                break;
        }
    }

    /// <summary>Sets the directories' times, which writing their children kept changing.</summary>
    public void FinishDirectoryTimes()
    {
        foreach (var (path, accessed, modified) in _directoryTimes) RawFs.SetTimesNoFollow(path, accessed, modified);
    }

    // containerd's createTarFile handles these types (Go turns TypeRegA into '0' or '5'); everything else fails the layer.
    private static bool IsApplicable(byte type) => type is TarTypeFlags.Regular or TarTypeFlags.Directory or TarTypeFlags.Symlink
        or TarTypeFlags.HardLink or TarTypeFlags.Char or TarTypeFlags.Block or TarTypeFlags.Fifo;

    private static string TypeHint(byte type) => type switch
    {
        TarTypeFlags.GnuSparse => " (an old-format GNU sparse file: GNU tar --format=gnu --sparse)",
        TarTypeFlags.Contiguous => " (a contiguous file)",
        _ => "",
    };

    // Sparse files (PAX GNU.sparse.*) get their data at the map's offsets and holes elsewhere, as Go's reader yields them.
    private async Task WriteFileAsync(TarHeader entry, string path, CancellationToken cancellationToken)
    {
        var fd = RawFs.CreateFile(path);
        try
        {
            while (true)
            {
                var (offset, read) = await reader.ReadDataAsync(_buffer, cancellationToken).ConfigureAwait(false);
                if (read == 0) break;
                RawFs.WriteAt(fd, path, _buffer.AsSpan(0, read), offset);
            }

            if (entry.Sparse is not null) RawFs.Truncate(fd, path, entry.Size);
            Libc.Check(Libc.fchown(fd, unchecked((uint)entry.Uid), unchecked((uint)entry.Gid)), "fchown", RawPath.Display(path));
            SetXattrs(entry, path, (name, value) => RawFs.SetXattr(fd, name, value));
            Libc.Check(Libc.fchmod(fd, (uint)entry.Mode & Libc.ModeBits), "fchmod", RawPath.Display(path)); // after chown, which clears setuid/setgid
            var (accessed, modified) = TarTimes.Of(entry);
            RawFs.SetTimes(fd, path, accessed, modified);
            // A sparse file's data is not where its tar data lies; nobody reads those early.
            if (applied is not null && entry.Sparse is null)
            {
                var written = FileStatus.OfDescriptor(fd);
                applied.FileWritten(new AppliedFile(path, entry.DataOffset, entry.Size, written.Inode, written.DevMajor, written.DevMinor));
            }
        }
        finally
        {
            Libc.close(fd);
        }
    }

    private void WriteHardLink(TarHeader entry, string path, string display)
    {
        var linkName = RawPath.FromBytes(entry.LinkNameBytes);
        var targetParts = EntryPath.Split(linkName, display, "hard link target");
        if (targetParts.Length == 0) throw new InvalidDataException($"layer entry '{display}' is a hard link to the layer root");
        CheckNoLinkInParents(targetParts[..^1], display);
        var targetRelative = string.Join('/', targetParts);
        var target = Full(targetRelative);
        var kind = Probe(targetRelative);
        if (kind == Kind.Missing)
            throw new InvalidDataException($"layer entry '{display}' is a hard link to '{RawPath.Display(linkName)}', which the layer does not contain");
        if (kind == Kind.Directory) throw new InvalidDataException($"layer entry '{display}' is a hard link to the directory '{RawPath.Display(linkName)}'");
        RawFs.Link(target, path);
        // Owner, xattrs and times as containerd applies them; the mode stays the target's (containerd's chmod of a hard
        // link looks its name up outside the layer root, so in effect it does not happen).
        ApplyMetadata(entry, path, isDirectory: false, isSymlink: true);
    }

    private void WriteWhiteout(TarHeader entry, string parent, string hidden, string display)
    {
        if (hidden.Length == 0 || hidden is "." or "..") throw new InvalidDataException($"layer entry '{display}' is a whiteout of nothing");
        var relative = parent.Length == 0 ? hidden : parent + "/" + hidden;
        var path = Full(relative);
        var existing = Probe(relative);
        if (existing != Kind.Missing) Remove(relative, existing);
        _kinds[relative] = Kind.Other;
        RawFs.Mknod(path, Libc.SIfChr, 0);
        RawFs.Lchown(path, unchecked((uint)entry.Uid), unchecked((uint)entry.Gid)); // the whiteout entry's owner, as containerd's OverlayConvertWhiteout
    }

    private void ApplyMetadata(TarHeader entry, string path, bool isDirectory, bool isSymlink = false)
    {
        RawFs.Lchown(path, unchecked((uint)entry.Uid), unchecked((uint)entry.Gid));
        SetXattrs(entry, path, (name, value) => RawFs.SetXattr(path, name, value));
        if (!isSymlink) RawFs.Chmod(path, (uint)entry.Mode & Libc.ModeBits); // after chown, which clears setuid/setgid
        var (accessed, modified) = TarTimes.Of(entry);
        if (isDirectory) _directoryTimes.Add((path, accessed, modified));
        else RawFs.SetTimesNoFollow(path, accessed, modified);
    }

    // containerd's createTarFile: trusted.* from an archive is never set (its setxattr refuses them as ENOTSUP, "admin
    // attributes from archive not supported"), ENOTSUP is skipped, and so is EPERM on user.* for what is neither a file nor
    // a directory (Linux allows user.* only there, xattr(7)); any other failure fails the layer. Skips are logged once per layer.
    private void SetXattrs(TarHeader entry, string path, Func<string, byte[], int> set)
    {
        var ignored = false;
        foreach (var (name, value) in entry.Xattrs)
        {
            var errno = name.StartsWith("trusted.", StringComparison.Ordinal) ? Libc.ENotSup : set(name, value);
            if (errno == 0) continue;
            var skipped = errno == Libc.ENotSup
                || (errno == Libc.EPerm && name.StartsWith("user.", StringComparison.Ordinal)
                    && entry.TypeFlag is not (TarTypeFlags.Regular or TarTypeFlags.Directory));
            if (!skipped)
                throw new IOException($"layer entry '{entry.DisplayName}': setting xattr {name} failed: {System.Runtime.InteropServices.Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})", errno);
            _ignoredXattrs.Add(name);
            ignored = true;
        }

        if (ignored) EntriesWithIgnoredXattrs++;
    }

    private string Full(string relative) => relative.Length == 0 ? root : root + "/" + relative;
}
