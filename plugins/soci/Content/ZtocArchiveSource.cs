using PluggableSnapshotter.Layers.Compression;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Content;

/// <summary>
/// A soci layer's tar for its fill's unpack, span by span as the zTOC cuts it: a span that reads kept in the store (the
/// layer's <see cref="DecompressedSpans"/>, each checked against its span digest before it was kept) is read back; any
/// other is checked against its span digest and decompressed from its checkpoint once the fill's download holds its
/// compressed bytes. A layer a container has read through is then unpacked without being inflated a second time: on
/// the large bench image the fill was still inflating its last layer after the first container's reads had ended, and
/// took the CPUs from the next container's start.
/// </summary>
internal sealed class ZtocArchiveSource(Func<Ztoc> ztoc, LayerStore store, string layerDigest) : IArchiveSource
{
    public Stream OpenArchive(BlobDownload download)
    {
        var parsed = ztoc();
        var (size, spanCount, layout) = (parsed.UncompressedArchiveSize, parsed.CompressionInfo.MaxSpanId + 1, LayerContent.SpanLayout(parsed));
        return new ArchiveStream(new ZtocSpans(parsed with { Files = [] }), () => store.Decompressed(layerDigest, size, spanCount, layout), download);
    }

    private sealed class ArchiveStream(ZtocSpans spans, Func<DecompressedSpans?> kept, BlobDownload download) : AsyncReadOnlyStream
    {
        private readonly long _length = spans.UncompressedSpanRange(spans.SpanCount - 1).End;
        private long _position;
        private int _span = -1;
        private DecompressedSpans? _kept; // the span's bytes on disk, or null
        private bool _decoded; // else whether _buffer holds the span, decoded here
        private byte[]? _buffer; // pooled, reused from span to span: a fill decodes gigabytes in spans of megabytes

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (buffer.IsEmpty || _position >= _length) return 0;
            var spanId = spans.SpanOf(_position);
            var (start, end) = spans.UncompressedSpanRange(spanId);
            var count = (int)Math.Min(buffer.Length, end - _position);
            if (count <= 0) throw new InvalidDataException($"zTOC span {spanId} [{start}, {end}) does not hold archive offset {_position}");
            if (spanId != _span)
            {
                (_span, _decoded) = (spanId, false);
                _kept = kept() is { } onDisk && onDisk.Holds(spanId, start, end) ? onDisk : null;
            }
            if (_kept is not null && !_kept.TryRead(spanId, start, end, _position, buffer.Span[..count]))
                _kept = null; // dropped meanwhile (its check failed, the file closed): decoded after all
            if (_kept is null)
            {
                if (!_decoded) await DecodeAsync(spanId, (int)(end - start), cancellationToken).ConfigureAwait(false);
                _decoded = true;
                _buffer.AsSpan((int)(_position - start), count).CopyTo(buffer.Span);
            }
            _position += count;
            return count;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing && _buffer is { } rented)
            {
                _buffer = null;
                RangeBuffers.Pool.Return(rented);
            }
            base.Dispose(disposing);
        }

        /// <summary>Span <paramref name="spanId"/> (<paramref name="size"/> bytes) from the download's bytes into the buffer, checked against its digest and decompressed.</summary>
        private async Task DecodeAsync(int spanId, int size, CancellationToken cancellationToken)
        {
            var (start, end) = spans.CheckedCompressedSpanRange(spanId);
            await download.WaitForAsync(end, cancellationToken).ConfigureAwait(false);
            if (download.Watermark < end)
            {
                await download.Completion.ConfigureAwait(false); // its failure says why
                throw new IOException($"the layer's download ended at byte {download.Watermark}, before span {spanId}'s compressed bytes [{start}, {end})");
            }
            var length = (int)(end - start);
            var compressed = RangeBuffers.Pool.Rent(length);
            try
            {
                for (var read = 0; read < length;)
                {
                    var got = download.ReadAt(compressed.AsSpan(read, length - read), start + read);
                    if (got == 0) throw new IOException($"the layer's blob file ends before span {spanId}'s compressed bytes [{start}, {end})");
                    read += got;
                }
                if (_buffer is { } small && small.Length < size)
                {
                    _buffer = null;
                    RangeBuffers.Pool.Return(small);
                }
                _buffer ??= RangeBuffers.Pool.Rent(size);
                spans.DecodeSpan(spanId, compressed.AsSpan(0, length), _buffer);
            }
            finally
            {
                RangeBuffers.Pool.Return(compressed);
            }
        }
    }
}
