using System.Formats.Tar;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

/// <summary>Writes a small PAX tar in memory and builds its zTOC with lib/Soci, as psoci would for an uncompressed layer.</summary>
internal sealed class LayerTarBuilder
{
    private readonly List<TarEntry> _entries = [];

    public LayerTarBuilder Directory(string name, UnixFileMode mode = (UnixFileMode)0x1ED, int uid = 0, int gid = 0) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, Uid = uid, Gid = gid });

    public LayerTarBuilder File(string name, string content, UnixFileMode mode = (UnixFileMode)0x1A4, int uid = 0, int gid = 0,
        IReadOnlyDictionary<string, string>? xattrs = null)
    {
        var pax = new Dictionary<string, string>();
        foreach (var (key, value) in xattrs ?? new Dictionary<string, string>()) pax[PaxRecord.XattrPrefix + key] = value;
        return Add(new PaxTarEntry(TarEntryType.RegularFile, name, pax)
        {
            Mode = mode, Uid = uid, Gid = gid, DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)),
            ModificationTime = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero),
        });
    }

    public LayerTarBuilder HardLink(string name, string target) => Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public LayerTarBuilder Symlink(string name, string target) => Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    public LayerTarBuilder CharDevice(string name, int major, int minor) =>
        Add(new PaxTarEntry(TarEntryType.CharacterDevice, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0x1B6 });

    public LayerTarBuilder Empty(string name) => Add(new PaxTarEntry(TarEntryType.RegularFile, name) { Mode = (UnixFileMode)0x1A4 });

    public byte[] ToTar()
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var entry in _entries)
            {
                entry.DataStream?.Seek(0, SeekOrigin.Begin);
                writer.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    public async Task<(Ztoc Ztoc, byte[] Tar)> BuildZtocAsync(long spanSize = 4096)
    {
        var tar = ToTar();
        var ztoc = await ZtocBuilder.BuildAsync(new MemoryStream(tar), LayerCompression.Uncompressed,
            new ZtocBuildOptions { SpanSize = spanSize }, CancellationToken.None);
        return (ZtocSerializer.Deserialize(ZtocSerializer.Serialize(ztoc)), tar);
    }

    private LayerTarBuilder Add(TarEntry entry)
    {
        _entries.Add(entry);
        return this;
    }
}
