using System.Formats.Tar;
using System.IO.Compression;
using System.Text;

namespace PluggableSnapshotter.TestSupport.Tars;

/// <summary>Builds layer tars in memory, entry by entry, including raw PAX records and hand-made (malicious) headers.</summary>
public sealed class LayerBuilder
{
    public static readonly DateTimeOffset Time = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);
    private readonly MemoryStream _tar = new();
    private readonly TarWriter _writer;

    public LayerBuilder() => _writer = new TarWriter(_tar, TarEntryFormat.Pax, leaveOpen: true);

    public LayerBuilder Dir(string name, UnixFileMode mode = (UnixFileMode)0x1ED, int uid = 0, int gid = 0, DateTimeOffset? mtime = null) =>
        Add(new PaxTarEntry(TarEntryType.Directory, name) { Mode = mode, Uid = uid, Gid = gid, ModificationTime = mtime ?? Time });

    public LayerBuilder File(string name, string content, UnixFileMode mode = (UnixFileMode)0x1A4, int uid = 0, int gid = 0,
        DateTimeOffset? mtime = null, IDictionary<string, string>? pax = null) =>
        File(name, Encoding.UTF8.GetBytes(content), mode, uid, gid, mtime, pax);

    /// <summary>A regular file of binary <paramref name="content"/> (random bytes: a layer that does not compress).</summary>
    public LayerBuilder File(string name, byte[] content, UnixFileMode mode = (UnixFileMode)0x1A4, int uid = 0, int gid = 0,
        DateTimeOffset? mtime = null, IDictionary<string, string>? pax = null)
    {
        var entry = pax is null ? new PaxTarEntry(TarEntryType.RegularFile, name) : new PaxTarEntry(TarEntryType.RegularFile, name, pax);
        entry.Mode = mode;
        entry.Uid = uid;
        entry.Gid = gid;
        entry.ModificationTime = mtime ?? Time;
        entry.DataStream = new MemoryStream(content);
        return Add(entry);
    }

    public LayerBuilder Symlink(string name, string target) =>
        Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target, Mode = (UnixFileMode)0x1FF, ModificationTime = Time });

    public LayerBuilder HardLink(string name, string target, UnixFileMode mode = (UnixFileMode)0x1A4, int uid = 0, int gid = 0) =>
        Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target, Mode = mode, Uid = uid, Gid = gid, ModificationTime = Time });

    public LayerBuilder Device(string name, TarEntryType type, int major, int minor) =>
        Add(new PaxTarEntry(type, name) { DeviceMajor = major, DeviceMinor = minor, Mode = (UnixFileMode)0x1B6, ModificationTime = Time });

    public LayerBuilder Fifo(string name) => Add(new PaxTarEntry(TarEntryType.Fifo, name) { Mode = (UnixFileMode)0x1A4, ModificationTime = Time });

    /// <summary>A file whose PAX header carries <paramref name="xattrs"/> as raw bytes (binary values survive).</summary>
    public LayerBuilder FileWithRawXattrs(string name, string content, IReadOnlyDictionary<string, byte[]> xattrs)
    {
        var records = new MemoryStream();
        foreach (var (key, value) in xattrs)
        {
            var body = Encoding.UTF8.GetBytes($" SCHILY.xattr.{key}=").Concat(value).Append((byte)'\n').ToArray();
            var length = body.Length + 1;
            while ((length.ToString().Length + body.Length) != length) length = length.ToString().Length + body.Length;
            records.Write(Encoding.ASCII.GetBytes(length.ToString()));
            records.Write(body);
        }

        WriteRaw(RawHeader("PaxHeaders/" + name, 'x', records.Length), records.ToArray());
        return Add(new UstarTarEntry(TarEntryType.RegularFile, name)
        {
            Mode = (UnixFileMode)0x1A4, ModificationTime = Time, DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)),
        });
    }

    /// <summary>A hand-made ustar header, for names a well-behaved writer refuses to produce.</summary>
    public LayerBuilder Raw(string name, char type, string linkName = "", string content = "")
    {
        var data = Encoding.UTF8.GetBytes(content);
        WriteRaw(RawHeader(name, type, data.Length, linkName), data);
        return this;
    }

    public byte[] Tar()
    {
        _writer.Dispose();
        return _tar.ToArray();
    }

    public static byte[] Gzip(byte[] tar)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        return output.ToArray();
    }

    public static byte[] Zstd(byte[] tar)
    {
        using var compressor = new ZstdSharp.Compressor(3);
        return compressor.Wrap(tar).ToArray();
    }

    private LayerBuilder Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    private void WriteRaw(byte[] header, byte[] data)
    {
        _tar.Write(header);
        _tar.Write(data);
        _tar.Write(new byte[(512 - data.Length % 512) % 512]);
    }

    private static byte[] RawHeader(string name, char type, long size, string linkName = "")
    {
        var header = new byte[512];
        void Put(int offset, int length, string value) => Encoding.UTF8.GetBytes(value).AsSpan(0, Math.Min(length, Encoding.UTF8.GetByteCount(value))).CopyTo(header.AsSpan(offset));
        Put(0, 100, name);
        Put(100, 8, "0000644\0");
        Put(108, 8, "0000000\0");
        Put(116, 8, "0000000\0");
        Put(124, 12, Convert.ToString(size, 8).PadLeft(11, '0') + "\0");
        Put(136, 12, Convert.ToString(Time.ToUnixTimeSeconds(), 8).PadLeft(11, '0') + "\0");
        header[156] = (byte)type;
        Put(157, 100, linkName);
        Put(257, 6, "ustar\0");
        Put(263, 2, "00");
        header.AsSpan(148, 8).Fill((byte)' ');
        var sum = header.Sum(b => (int)b);
        Put(148, 8, Convert.ToString(sum, 8).PadLeft(6, '0') + "\0 ");
        return header;
    }
}
