using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Estargz.Content;

namespace PluggableSnapshotter.Plugins.Estargz.Format;

/// <summary>
/// What a TOC says about a layer, ready to serve: its tree (overlay conventions, see <see cref="LayerTreeAssembler"/>),
/// its chunks in a content space where each regular file's bytes are [DataOffset, DataOffset + Size), the read groups
/// over them, and where the optimized image's prefetch section ends.
/// </summary>
internal sealed class EstargzLayout
{
    /// <summary>Marks the end of the files an optimized image wants prefetched (a one-byte file at the root).</summary>
    public const string PrefetchLandmark = ".prefetch.landmark";

    /// <summary>Marks an optimized image that wants nothing prefetched.</summary>
    public const string NoPrefetchLandmark = ".no.prefetch.landmark";

    private EstargzLayout(LayerInode root, EstargzChunk[] chunks, ReadGroup[] groups, int[] groupOfChunk, long prefetchEnd, long uncompressedSize, int entries)
    {
        (Root, Chunks, Groups, _groupOfChunk, PrefetchEnd, UncompressedSize, Entries) = (root, chunks, groups, groupOfChunk, prefetchEnd, uncompressedSize, entries);
    }

    private readonly int[] _groupOfChunk;

    public LayerInode Root { get; }
    public IReadOnlyList<EstargzChunk> Chunks { get; }
    public IReadOnlyList<ReadGroup> Groups { get; }

    /// <summary>Blob bytes [0, PrefetchEnd) hold the files to prefetch; 0 when the image names none.</summary>
    public long PrefetchEnd { get; }

    /// <summary>About the size of the layer's tar (files and headers): what the store reserves for its copy.</summary>
    public long UncompressedSize { get; }

    /// <summary>TOC entries (chunks not counted).</summary>
    public int Entries { get; }

    /// <summary>
    /// Root entries of the blob's tar that are the format's, not the layer's: the TOC itself and the landmarks. The tree
    /// never shows them, as containerd's pull of the original image does not have them.
    /// </summary>
    public static IReadOnlyList<string> FormatEntries { get; } = [TocReader.TocName, PrefetchLandmark, NoPrefetchLandmark];

    /// <summary>The index of the chunk holding content byte <paramref name="offset"/>.</summary>
    public int ChunkAt(long offset)
    {
        int low = 0, high = Chunks.Count - 1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            var chunk = Chunks[middle];
            if (offset < chunk.ContentOffset) high = middle - 1;
            else if (offset >= chunk.ContentOffset + chunk.Size) low = middle + 1;
            else return middle;
        }
        throw new InvalidDataException($"content offset {offset} lies in no chunk of the layer");
    }

    public int GroupOf(int chunk) => _groupOfChunk[chunk];

    /// <summary>Lays out <paramref name="toc"/>.</summary>
    /// <param name="toc">A parsed TOC.</param>
    /// <param name="dataEnd">Where the last data member ends: the TOC's offset (or the blob's size when unknown).</param>
    /// <param name="userXattr">Mark opaque directories with <c>user.overlay.opaque</c>.</param>
    /// <param name="requireDigests">Refuse chunks without a digest (verification on).</param>
    /// <param name="groupBytes">The compressed bytes a read group may span (a larger chunk is a group alone).</param>
    /// <exception cref="InvalidDataException">The TOC is inconsistent (names, links, chunks that do not cover their file).</exception>
    public static EstargzLayout Build(Toc toc, long dataEnd, bool userXattr, bool requireDigests, long groupBytes)
    {
        var assembler = new LayerTreeAssembler(userXattr);
        var chunks = new List<(long ContentOffset, long Size, long BlobOffset, long InnerOffset, string? Digest, string Path)>();
        long content = 0, uncompressed = 1024, prefetchEnd = 0;
        var entries = 0;
        (string Name, long DataOffset, long Size, long Covered)? file = null;
        foreach (var entry in toc.Entries)
        {
            if (entry.Type == "chunk")
            {
                if (file is not { } current || current.Name != entry.Name || entry.ChunkOffset != current.Covered)
                    throw new InvalidDataException($"TOC chunk of {entry.Name} at {entry.ChunkOffset} does not continue a file");
                var size = entry.ChunkSize > 0 ? entry.ChunkSize : current.Size - entry.ChunkOffset;
                chunks.Add((current.DataOffset + entry.ChunkOffset, size, entry.Offset, entry.InnerOffset, entry.ChunkDigest, entry.Name));
                file = current with { Covered = current.Covered + size };
                continue;
            }
            CheckCovered(file);
            file = null;
            entries++;
            uncompressed += 512 + ((entry.Size + 511) & ~511L);
            var name = RootName(entry.Name);
            if (FormatEntries.Contains(name))
            {
                if (name == PrefetchLandmark) prefetchEnd = entry.Offset;
                continue;
            }
            var layerEntry = ToLayerEntry(entry, content);
            assembler.Add(layerEntry);
            if (entry.Type == "reg" && entry.Size > 0)
            {
                var size = entry.ChunkSize > 0 ? entry.ChunkSize : entry.Size;
                chunks.Add((content, size, entry.Offset, entry.InnerOffset, entry.ChunkDigest, entry.Name));
                file = (entry.Name, content, entry.Size, size);
                content += entry.Size;
            }
        }
        CheckCovered(file);
        if (requireDigests && chunks.FirstOrDefault(c => c.Digest is null) is { Path: { } undigested })
            throw new InvalidDataException($"TOC chunk of {undigested} has no chunkDigest: it cannot be verified");

        var ends = chunks.Select(c => c.BlobOffset).Append(dataEnd).Distinct().Order().ToArray();
        var laidOut = chunks.Select(c =>
        {
            var next = Array.BinarySearch(ends, c.BlobOffset) + 1;
            if (c.BlobOffset < 0 || next >= ends.Length) throw new InvalidDataException($"TOC chunk of {c.Path} lies at {c.BlobOffset}, past the data's end {dataEnd}");
            return new EstargzChunk(c.ContentOffset, c.Size, c.BlobOffset, ends[next], c.InnerOffset, c.Digest, c.Path);
        }).ToArray();
        var (groups, groupOfChunk) = Group(laidOut, groupBytes);
        return new EstargzLayout(assembler.Complete(), laidOut, groups, groupOfChunk, prefetchEnd, uncompressed, entries);
    }

    private static void CheckCovered((string Name, long DataOffset, long Size, long Covered)? file)
    {
        if (file is { } f && f.Covered != f.Size) throw new InvalidDataException($"TOC chunks of {f.Name} cover {f.Covered} of its {f.Size} bytes");
    }

    /// <summary>Consecutive chunks, in blob order, whose members together span at most <paramref name="groupBytes"/>.</summary>
    private static (ReadGroup[] Groups, int[] GroupOfChunk) Group(EstargzChunk[] chunks, long groupBytes)
    {
        var groups = new List<ReadGroup>();
        var groupOf = new int[chunks.Length];
        var first = 0;
        for (var i = 1; i <= chunks.Length; i++)
        {
            var joins = i < chunks.Length
                && chunks[i].BlobOffset >= chunks[i - 1].BlobOffset
                && chunks[i].ContentOffset == chunks[i - 1].ContentOffset + chunks[i - 1].Size
                && Math.Max(chunks[i].BlobEnd, chunks[i - 1].BlobEnd) - chunks[first].BlobOffset <= groupBytes;
            if (joins) continue;
            var blobEnd = chunks.AsSpan(first, i - first).ToArray().Max(c => c.BlobEnd);
            groups.Add(new ReadGroup(first, i - first, chunks[first].BlobOffset, blobEnd, chunks[first].ContentOffset, chunks[i - 1].ContentOffset + chunks[i - 1].Size));
            for (var c = first; c < i; c++) groupOf[c] = groups.Count - 1;
            first = i;
        }
        return (groups.ToArray(), groupOf);
    }

    /// <summary>The name without leading <c>./</c> and <c>/</c>, as the archive's root sees it.</summary>
    public static string RootName(string name)
    {
        while (name.StartsWith("./", StringComparison.Ordinal)) name = name[2..];
        return name.TrimStart('/');
    }

    private static uint Id(long id, string name) =>
        id is >= 0 and <= uint.MaxValue ? (uint)id : throw new InvalidDataException($"TOC entry {name} has owner id {id}, out of range");

    private static LayerEntry ToLayerEntry(TocEntry entry, long dataOffset) => new()
    {
        Name = entry.Name,
        Type = entry.Type switch
        {
            "dir" => LayerInodeType.Directory,
            "reg" or "hardlink" => LayerInodeType.Regular,
            "symlink" => LayerInodeType.Symlink,
            "char" => LayerInodeType.CharacterDevice,
            "block" => LayerInodeType.BlockDevice,
            "fifo" => LayerInodeType.Fifo,
            _ => throw new InvalidDataException($"TOC entry {entry.Name} has type '{entry.Type}', which cannot be served"),
        },
        IsHardLink = entry.Type == "hardlink",
        Mode = entry.Mode,
        Uid = Id(entry.Uid, entry.Name),
        Gid = Id(entry.Gid, entry.Name),
        ModificationTime = LayerEntry.ModificationTimeOf(entry.ModTime, entry.Name),
        LinkName = entry.LinkName ?? "",
        DevMajor = (uint)entry.DevMajor,
        DevMinor = (uint)entry.DevMinor,
        Size = entry.Type == "reg" ? entry.Size : 0,
        DataOffset = dataOffset,
        Xattrs = entry.Xattrs,
    };
}
