using System.IO.Compression;
using PluggableSnapshotter.Plugins.Estargz.Format;
using ZstdSharp;

namespace PluggableSnapshotter.Plugins.Estargz.Content;

/// <summary>
/// One gzip member (zstd frame) of a read group being decompressed front to back: the chunks it holds (each at its
/// <c>innerOffset</c>) are cut out one after another, so a member is inflated once per group load however many chunks it
/// holds (not once per chunk, from its start, which is quadratic in its chunks).
/// </summary>
internal sealed class MemberCursor : IDisposable
{
    private readonly Stream _stream;
    private long _position;

    private MemberCursor(long blobOffset, Stream stream) => (BlobOffset, _stream) = (blobOffset, stream);

    /// <summary>Where the member starts in the blob.</summary>
    public long BlobOffset { get; }

    /// <summary>Decompressed bytes of the member read or skipped so far.</summary>
    public long Position => _position;

    /// <summary>A cursor at the start of the member <paramref name="member"/> (its compressed bytes), which starts at <paramref name="blobOffset"/>.</summary>
    public static MemberCursor Open(EstargzCompression compression, long blobOffset, ArraySegment<byte> member)
    {
        var source = new MemoryStream(member.Array!, member.Offset, member.Count, writable: false);
        Stream stream = compression == EstargzCompression.Zstd
            ? new DecompressionStream(source, checkEndOfStream: false, leaveOpen: false)
            : new GZipStream(source, CompressionMode.Decompress);
        return new MemberCursor(blobOffset, stream);
    }

    /// <summary>Whether the chunk at <paramref name="innerOffset"/> of the member at <paramref name="blobOffset"/> lies ahead of this cursor.</summary>
    public bool Reaches(long blobOffset, long innerOffset) => blobOffset == BlobOffset && innerOffset >= _position;

    /// <summary>Fills <paramref name="target"/> with the member's bytes from <paramref name="innerOffset"/> on.</summary>
    /// <exception cref="InvalidDataException">The member is corrupt or ends early.</exception>
    public void Read(long innerOffset, Span<byte> target)
    {
        try
        {
            Skip(innerOffset - _position);
            _stream.ReadExactly(target);
            _position += target.Length;
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException($"the member ends before the chunk at {innerOffset} does: {e.Message}", e);
        }
        catch (ZstdException e)
        {
            throw new InvalidDataException($"corrupt zstd frame: {e.Message}", e);
        }
    }

    private void Skip(long count)
    {
        Span<byte> scratch = stackalloc byte[4096];
        while (count > 0)
        {
            var read = _stream.Read(scratch[..(int)Math.Min(count, scratch.Length)]);
            if (read == 0) throw new EndOfStreamException($"the member ends {count} bytes before the chunk starts");
            count -= read;
            _position += read;
        }
    }

    public void Dispose() => _stream.Dispose();
}
