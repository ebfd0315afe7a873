using System.Formats.Tar;
using System.Text;

namespace PluggableSnapshotter.TestSupport.Images;

/// <summary>
/// Describes one image layer entry by entry, including what only a hand-written tar can
/// express: whiteouts, opaque directories, hard links, devices, FIFOs and xattrs
/// (OCI image spec, layer.md). Paths are absolute inside the image ("/etc/passwd").
/// </summary>
public sealed class LayerBuilder
{
    /// <summary>The modification time given to every entry, so layers are reproducible.</summary>
    public static readonly DateTimeOffset EntryTime = new(2024, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<Func<TarEntry>> _entries = [];

    /// <summary>A directory.</summary>
    public LayerBuilder Directory(string path, UnixFileMode mode = Modes.Directory, int uid = 0, int gid = 0) =>
        Add(() => Entry(TarEntryType.Directory, path, mode, uid, gid));

    /// <summary>A regular file with UTF-8 text.</summary>
    public LayerBuilder File(string path, string content, UnixFileMode mode = Modes.File, int uid = 0, int gid = 0,
        IReadOnlyDictionary<string, string>? xattrs = null) =>
        File(path, Encoding.UTF8.GetBytes(content), mode, uid, gid, xattrs);

    /// <summary>A regular file; <paramref name="xattrs"/> become PAX SCHILY.xattr records.</summary>
    public LayerBuilder File(string path, byte[] content, UnixFileMode mode = Modes.File, int uid = 0, int gid = 0,
        IReadOnlyDictionary<string, string>? xattrs = null) =>
        Add(() =>
        {
            var entry = Entry(TarEntryType.RegularFile, path, mode, uid, gid, xattrs);
            entry.DataStream = new MemoryStream(content, writable: false);
            return entry;
        });

    /// <summary>A symbolic link to <paramref name="target"/> (stored as given).</summary>
    public LayerBuilder Symlink(string path, string target) =>
        Add(() =>
        {
            var entry = Entry(TarEntryType.SymbolicLink, path, Modes.Symlink, 0, 0);
            entry.LinkName = target;
            return entry;
        });

    /// <summary>A hard link to <paramref name="target"/>, an earlier entry of this layer or a lower one.</summary>
    public LayerBuilder HardLink(string path, string target) =>
        Add(() =>
        {
            var entry = Entry(TarEntryType.HardLink, path, Modes.File, 0, 0);
            entry.LinkName = TarName(target);
            return entry;
        });

    /// <summary>A character device.</summary>
    public LayerBuilder CharacterDevice(string path, int major, int minor, UnixFileMode mode = Modes.Device) =>
        Add(() => Device(TarEntryType.CharacterDevice, path, major, minor, mode));

    /// <summary>A block device.</summary>
    public LayerBuilder BlockDevice(string path, int major, int minor, UnixFileMode mode = Modes.Device) =>
        Add(() => Device(TarEntryType.BlockDevice, path, major, minor, mode));

    /// <summary>A named pipe.</summary>
    public LayerBuilder Fifo(string path, UnixFileMode mode = Modes.File) =>
        Add(() => Entry(TarEntryType.Fifo, path, mode, 0, 0));

    /// <summary>Deletes <paramref name="path"/> from the layers below: an empty file named .wh.&lt;name&gt;.</summary>
    public LayerBuilder Whiteout(string path)
    {
        var parent = Path.GetDirectoryName(path) ?? "/";
        return Add(() => Entry(TarEntryType.RegularFile, Path.Combine(parent, ".wh." + Path.GetFileName(path)), Modes.File, 0, 0));
    }

    /// <summary>
    /// A directory that hides everything the layers below had in it (.wh..wh..opq);
    /// entries added to it afterwards in this layer stay visible.
    /// </summary>
    public LayerBuilder OpaqueDirectory(string path, UnixFileMode mode = Modes.Directory)
    {
        Directory(path, mode);
        return Add(() => Entry(TarEntryType.RegularFile, Path.Combine(path, ".wh..wh..opq"), Modes.File, 0, 0));
    }

    /// <summary>Writes the layer as an uncompressed PAX tar.</summary>
    public async Task WriteAsync(Stream destination, CancellationToken cancellationToken)
    {
        await using var writer = new TarWriter(destination, TarEntryFormat.Pax, leaveOpen: true);
        foreach (var create in _entries)
        {
            await writer.WriteEntryAsync(create(), cancellationToken);
        }
    }

    private LayerBuilder Add(Func<TarEntry> create)
    {
        _entries.Add(create);
        return this;
    }

    private static PaxTarEntry Device(TarEntryType type, string path, int major, int minor, UnixFileMode mode)
    {
        var entry = Entry(type, path, mode, 0, 0);
        entry.DeviceMajor = major;
        entry.DeviceMinor = minor;
        return entry;
    }

    private static PaxTarEntry Entry(TarEntryType type, string path, UnixFileMode mode, int uid, int gid,
        IReadOnlyDictionary<string, string>? xattrs = null)
    {
        var extended = xattrs?.ToDictionary(x => "SCHILY.xattr." + x.Key, x => x.Value) ?? [];
        var name = TarName(path) + (type == TarEntryType.Directory ? "/" : string.Empty);
        return new PaxTarEntry(type, name, extended)
        {
            Mode = mode,
            Uid = uid,
            Gid = gid,
            ModificationTime = EntryTime,
        };
    }

    // Layer tars name entries relative to the root ("etc/passwd"), not absolute.
    private static string TarName(string path) => path.TrimStart('/');
}
