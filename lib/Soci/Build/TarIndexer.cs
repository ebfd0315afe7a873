using System.Security.Cryptography;
using PluggableSnapshotter.Soci.Flatbuffers;

namespace PluggableSnapshotter.Soci.Build;

/// <summary>
/// An uncompressed tar layer: the blob is the tar stream, spans are plain byte ranges of the span size,
/// and the checkpoints field holds a flatbuffer TarZinfo (soci-formats.md, "Uncompressed tar layers").
/// </summary>
internal sealed class TarIndexer(Stream source, long spanSize) : ILayerIndexer
{
    /// <summary>The TarZinfo version SOCI writes.</summary>
    public const int TarZinfoVersion = 2;

    private readonly IncrementalHash _spanHash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<string> _digests = [];
    private long _position;

    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        int n = await source.ReadAsync(destination, cancellationToken).ConfigureAwait(false);
        Hash(destination.Span[..n]);
        return n;
    }

    public async Task<LayerIndex> FinishAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        while (await ReadAsync(buffer, cancellationToken).ConfigureAwait(false) > 0)
        {
        }
        if (_position % spanSize != 0)
        {
            _digests.Add(SpanDigest.Finish(_spanHash));
        }
        long spans = (_position + spanSize - 1) / spanSize;
        var info = new CompressionInfo
        {
            Algorithm = CompressionAlgorithm.Uncompressed,
            MaxSpanId = checked((int)(spans - 1)),
            SpanDigests = _digests,
            Checkpoints = FbTarZinfo.Write(TarZinfoVersion, spanSize, _position),
        };
        return new LayerIndex(_position, info);
    }

    public void Dispose() => _spanHash.Dispose();

    private void Hash(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            int room = (int)Math.Min(data.Length, spanSize - (_position % spanSize));
            _spanHash.AppendData(data[..room]);
            _position += room;
            data = data[room..];
            if (_position % spanSize == 0)
            {
                _digests.Add(SpanDigest.Finish(_spanHash));
            }
        }
    }
}
