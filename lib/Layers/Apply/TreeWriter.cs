using System.Formats.Tar;
using System.Runtime.InteropServices;
using System.Text;
using PluggableSnapshotter.Layers.Compression;
using PluggableSnapshotter.Layers.Native;

namespace PluggableSnapshotter.Layers.Apply;

/// <summary>
/// Writes tar entries into a (staging) layer directory with the overlay conventions: whiteouts become 0:0 character
/// devices, opaque markers an <c>overlay.opaque</c> xattr. Nothing is written through a symbolic link or outside the root.
/// </summary>
internal sealed partial class TreeWriter(string root, bool userXattr, TarXattrTap tap, IReadOnlyList<string> parents)
{
    private const string WhiteoutPrefix = ".wh.";
    private const string OpaqueMarker = ".wh..wh..opq";
    // Everything under the root was created by this writer, so what exists there is known without asking the file system.
    private readonly Dictionary<string, Kind> _kinds = new(StringComparer.Ordinal) { [""] = Kind.Directory };
    private readonly List<(string Path, DateTimeOffset Accessed, DateTimeOffset Modified)> _directoryTimes = [];
    private readonly byte[] _buffer = new byte[256 * 1024];

    private string OpaqueXattr => userXattr ? "user.overlay.opaque" : "trusted.overlay.opaque";

    public async Task ApplyAsync(TarEntry entry, CancellationToken cancellationToken)
    {
        var parts = EntryPath.Split(entry.Name, entry.Name);
        if (parts.Length == 0)
        {
            if (entry.EntryType == TarEntryType.Directory) ApplyMetadata(entry, root, isDirectory: true);
            return;
        }

        var name = parts[^1];
        var parent = string.Join('/', parts[..^1]);
        if (name == OpaqueMarker)
        {
            EnsureDirectory(parts[..^1], entry.Name);
            Xattrs.SetNoFollow(Full(parent), OpaqueXattr, "y"u8);
            return;
        }

        EnsureDirectory(parts[..^1], entry.Name);
        if (name.StartsWith(WhiteoutPrefix, StringComparison.Ordinal))
        {
            WriteWhiteout(parent, name[WhiteoutPrefix.Length..], entry.Name);
            return;
        }

        var relative = parent.Length == 0 ? name : parent + "/" + name;
        var path = Full(relative);
        var existing = Probe(relative);
        if (existing != Kind.Missing && !(existing == Kind.Directory && entry.EntryType == TarEntryType.Directory))
            Remove(relative, existing);
        _kinds[relative] = entry.EntryType switch
        {
            TarEntryType.Directory => Kind.Directory,
            TarEntryType.SymbolicLink => Kind.Symlink,
            _ => Kind.Other,
        };

        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                if (existing != Kind.Directory) Libc.Check(Libc.mkdir(path, Libc.Mode0755), "mkdir", path);
                ApplyMetadata(entry, path, isDirectory: true);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                await WriteFileAsync(entry, path, cancellationToken).ConfigureAwait(false);
                break;
            case TarEntryType.SymbolicLink:
                Libc.Check(Libc.symlink(entry.LinkName, path), "symlink", path);
                ApplyMetadata(entry, path, isDirectory: false, isSymlink: true);
                break;
            case TarEntryType.HardLink:
                WriteHardLink(entry, path);
                break;
            case TarEntryType.CharacterDevice or TarEntryType.BlockDevice or TarEntryType.Fifo:
                var type = entry.EntryType switch { TarEntryType.CharacterDevice => Libc.SIfChr, TarEntryType.BlockDevice => Libc.SIfBlk, _ => Libc.SIfIfo };
                var device = entry is PosixTarEntry posix && entry.EntryType != TarEntryType.Fifo
                    ? Libc.MakeDev((uint)posix.DeviceMajor, (uint)posix.DeviceMinor)
                    : 0;
                Libc.Check(Libc.mknod(path, type | ((uint)entry.Mode & Libc.ModeBits), device), "mknod", path);
                ApplyMetadata(entry, path, isDirectory: false);
                break;
            default:
                throw new InvalidDataException($"layer entry '{entry.Name}' has type {entry.EntryType}, which a layer cannot hold");
        }
    }

    /// <summary>Sets the directories' times, which writing their children kept changing.</summary>
    public void FinishDirectoryTimes()
    {
        foreach (var (path, accessed, modified) in _directoryTimes) FileTimes.SetNoFollow(path, accessed, modified);
    }

    private async Task WriteFileAsync(TarEntry entry, string path, CancellationToken cancellationToken)
    {
        using var handle = File.OpenHandle(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.None, entry.Length);
        if (entry.DataStream is { } data)
        {
            long offset = 0;
            int read;
            while ((read = await data.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false)) > 0)
            {
                RandomAccess.Write(handle, _buffer.AsSpan(0, read), offset);
                offset += read;
            }
        }

        var fd = (int)handle.DangerousGetHandle();
        Libc.Check(Libc.fchown(fd, (uint)entry.Uid, (uint)entry.Gid), "fchown", path);
        foreach (var (name, value) in tap.Current) Xattrs.Set(fd, path, name, value);
        Libc.Check(Libc.fchmod(fd, (uint)entry.Mode & Libc.ModeBits), "fchmod", path); // after chown, which clears setuid/setgid
        FileTimes.Set(fd, path, AccessTime(entry), entry.ModificationTime);
    }

    private void WriteHardLink(TarEntry entry, string path)
    {
        var targetParts = EntryPath.Split(entry.LinkName, entry.Name, "hard link target");
        if (targetParts.Length == 0) throw new InvalidDataException($"layer entry '{entry.Name}' is a hard link to the layer root");
        CheckNoLinkInParents(targetParts[..^1], entry.Name);
        var targetRelative = string.Join('/', targetParts);
        var target = Full(targetRelative);
        var kind = Probe(targetRelative);
        if (kind == Kind.Missing)
            throw new InvalidDataException($"layer entry '{entry.Name}' is a hard link to '{entry.LinkName}', which the layer does not contain");
        if (kind == Kind.Directory) throw new InvalidDataException($"layer entry '{entry.Name}' is a hard link to the directory '{entry.LinkName}'");
        Libc.Check(Libc.link(target, path), "link", path);
        // Owner, xattrs and times as containerd applies them; the mode stays the target's (containerd's chmod of a hard
        // link looks its name up outside the layer root, so in effect it does not happen).
        ApplyMetadata(entry, path, isDirectory: false, isSymlink: true);
    }

    private void WriteWhiteout(string parent, string hidden, string entryName)
    {
        if (hidden.Length == 0 || hidden is "." or "..") throw new InvalidDataException($"layer entry '{entryName}' is a whiteout of nothing");
        var relative = parent.Length == 0 ? hidden : parent + "/" + hidden;
        var path = Full(relative);
        var existing = Probe(relative);
        if (existing != Kind.Missing) Remove(relative, existing);
        _kinds[relative] = Kind.Other;
        Libc.Check(Libc.mknod(path, Libc.SIfChr, 0), "mknod (whiteout)", path);
        Libc.Check(Libc.lchown(path, 0, 0), "lchown", path);
    }

    private void ApplyMetadata(TarEntry entry, string path, bool isDirectory, bool isSymlink = false)
    {
        Libc.Check(Libc.lchown(path, (uint)entry.Uid, (uint)entry.Gid), "lchown", path);
        foreach (var (name, value) in tap.Current) Xattrs.SetNoFollow(path, name, value);
        if (!isSymlink) Libc.Check(Libc.chmod(path, (uint)entry.Mode & Libc.ModeBits), "chmod", path); // after chown, which clears setuid/setgid
        if (isDirectory) _directoryTimes.Add((path, AccessTime(entry), entry.ModificationTime));
        else FileTimes.SetNoFollow(path, AccessTime(entry), entry.ModificationTime);
    }

    // containerd sets atime to the later of the header's atime and mtime.
    private static DateTimeOffset AccessTime(TarEntry entry)
    {
        var accessed = entry switch
        {
            PaxTarEntry pax when pax.ExtendedAttributes.TryGetValue("atime", out var text) && ParsePaxTime(text) is { } parsed => parsed,
            GnuTarEntry gnu => gnu.AccessTime,
            _ => entry.ModificationTime,
        };
        return accessed > entry.ModificationTime ? accessed : entry.ModificationTime;
    }

    // PAX times are decimal seconds since the epoch with an optional fraction.
    private static DateTimeOffset? ParsePaxTime(string text) =>
        decimal.TryParse(text, System.Globalization.NumberStyles.Number, System.Globalization.CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond))
            : null;

    private string Full(string relative) => relative.Length == 0 ? root : root + "/" + relative;
}
