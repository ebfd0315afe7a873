using System.Formats.Tar;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using PluggableSnapshotter.Plugins.Estargz.Format;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

/// <summary>
/// Writes small eStargz- or zstd:chunked-shaped blobs for unit tests: each file chunk a gzip member (zstd frame) of its
/// own, then the TOC (eStargz: a gzip'd tar holding <c>stargz.index.json</c>; zstd:chunked: the JSON compressed with
/// zstd in a skippable frame) and the footer. No tar headers for the files: the backend reads only the TOC and the
/// chunk members (real blobs, with headers, come from ctr-remote in the end-to-end tests).
/// </summary>
internal sealed class EstargzBlobWriter(EstargzCompression compression = EstargzCompression.Gzip)
{
    private readonly MemoryStream _blob = new();
    private readonly List<TocEntry> _entries = [];

    /// <summary>Entries without data (directories, links, devices, whiteouts as empty files).</summary>
    public EstargzBlobWriter Entry(TocEntry entry)
    {
        _entries.Add(entry);
        return this;
    }

    /// <summary>A regular file in chunks of at most <paramref name="chunkSize"/> bytes (0: one chunk).</summary>
    public EstargzBlobWriter File(string name, byte[] content, int chunkSize = 0, long mode = 0x1A4)
    {
        var size = chunkSize > 0 ? chunkSize : Math.Max(1, content.Length);
        for (var offset = 0; offset < content.Length; offset += size)
        {
            var chunk = content.AsSpan(offset, Math.Min(size, content.Length - offset)).ToArray();
            var entry = new TocEntry
            {
                Name = name,
                Type = offset == 0 ? "reg" : "chunk",
                Size = offset == 0 ? content.Length : 0,
                Mode = offset == 0 ? mode : 0,
                Offset = _blob.Length,
                ChunkOffset = offset,
                ChunkSize = chunkSize > 0 && content.Length > chunkSize ? chunk.Length : 0,
                ChunkDigest = OciDigest.Compute(chunk).ToString(),
            };
            _entries.Add(entry);
            WriteMember(chunk);
        }
        if (content.Length == 0) _entries.Add(new TocEntry { Name = name, Type = "reg", Mode = mode });
        return this;
    }

    /// <summary>
    /// A regular file in chunks of <paramref name="chunkSize"/> bytes that all lie in one gzip member (zstd frame), each at
    /// its <c>innerOffset</c> (as writers that compress a file as one stream lay it out).
    /// </summary>
    public EstargzBlobWriter FileInOneMember(string name, byte[] content, int chunkSize)
    {
        var member = _blob.Length;
        for (var offset = 0; offset < content.Length; offset += chunkSize)
        {
            var chunk = content.AsSpan(offset, Math.Min(chunkSize, content.Length - offset)).ToArray();
            _entries.Add(new TocEntry
            {
                Name = name,
                Type = offset == 0 ? "reg" : "chunk",
                Size = offset == 0 ? content.Length : 0,
                Mode = offset == 0 ? 0x1A4 : 0,
                Offset = member,
                InnerOffset = offset,
                ChunkOffset = offset,
                ChunkSize = chunk.Length,
                ChunkDigest = OciDigest.Compute(chunk).ToString(),
            });
        }
        WriteMember(content);
        return this;
    }

    /// <summary>Changes entry <paramref name="index"/> (e.g. to give a chunk a wrong digest).</summary>
    public EstargzBlobWriter Change(int index, Func<TocEntry, TocEntry> change)
    {
        _entries[index] = change(_entries[index]);
        return this;
    }

    /// <summary>The blob, its TOC's JSON and where the layer's data ends (the TOC's member or skippable frame starts).</summary>
    public (byte[] Blob, byte[] TocJson, long DataEnd) Build(bool legacyFooter = false)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Toc { Version = 1, Entries = _entries }, TocJsonContext.Default.Toc);
        var dataEnd = _blob.Length;
        if (compression == EstargzCompression.Zstd)
        {
            using var compressor = new ZstdSharp.Compressor(3);
            var compressed = compressor.Wrap(json).ToArray();
            _blob.Write(ZstdChunkedFooter.SkippableHeader(compressed.Length));
            var tocOffset = _blob.Length;
            _blob.Write(compressed);
            _blob.Write(ZstdChunkedFooter.Create(tocOffset, compressed.Length, json.Length));
            return (_blob.ToArray(), json, dataEnd);
        }
        using (var tar = new MemoryStream())
        {
            using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, TocReader.TocName) { DataStream = new MemoryStream(json) });
            }
            WriteMember(tar.ToArray());
        }
        _blob.Write(EstargzFooter.Create(dataEnd, legacyFooter));
        return (_blob.ToArray(), json, dataEnd);
    }

    public static byte[] Text(string text) => Encoding.UTF8.GetBytes(text);

    private void WriteMember(byte[] data)
    {
        if (compression == EstargzCompression.Zstd)
        {
            using var compressor = new ZstdSharp.Compressor(3);
            _blob.Write(compressor.Wrap(data));
            return;
        }
        using var gzip = new GZipStream(_blob, CompressionLevel.Optimal, leaveOpen: true);
        gzip.Write(data);
    }
}
