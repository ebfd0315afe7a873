using System.Buffers;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;

namespace PluggableSnapshotter.Layers.Compression;

/// <summary>
/// Reads a source stream on a thread-pool task, in 256 KiB chunks, a bounded number of chunks ahead of the reader, so
/// that the stages of a layer pull (download and digest check, decompression and diff ID hashing, file writes) run at
/// the same time. Read asynchronously only. The stream owns its source:
/// the producer disposes it when it ends, before the reader sees the end, so what the source settles at its end (a
/// hash, a digest check) is done by then; disposing this stream early stops the producer, which disposes the source.
/// An error of the source (of its reads or its disposal) surfaces, unchanged, from the reader's next read once the
/// chunks before it are consumed.
/// </summary>
internal sealed class ReadAheadStream : AsyncReadOnlyStream
{
    private const int ChunkSize = 256 * 1024;
    private readonly Stream _source;
    private readonly Channel<(byte[] Buffer, int Count)> _chunks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _producer;
    private ExceptionDispatchInfo? _error;
    private byte[]? _current;
    private int _offset;
    private int _count;
    private bool _done;

    /// <param name="source">The stream read ahead; owned (disposed by the producer).</param>
    /// <param name="chunksAhead">How many chunks the producer may be ahead of the reader.</param>
    public ReadAheadStream(Stream source, int chunksAhead = 8)
    {
        _source = source;
        _chunks = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(chunksAhead) { SingleReader = true, SingleWriter = true });
        _producer = Task.Run(ProduceAsync);
    }

    private async Task ProduceAsync()
    {
        try
        {
            while (true)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
                var read = await _source.ReadAsync(buffer.AsMemory(0, ChunkSize), _stop.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    break;
                }

                await _chunks.Writer.WriteAsync((buffer, read), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            _error = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            // The producer owns the source (it is the only one reading it). Dispose it before signalling the end, so the
            // reader, once it sees the end, finds the source (and whatever it computed, like a hash) settled.
            try
            {
                await _source.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (_error is null)
            {
                _error = ExceptionDispatchInfo.Capture(ex);
            }

            _chunks.Writer.TryComplete();
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) return 0;
        while (_current is null || _offset == _count)
        {
            if (_current is not null) ArrayPool<byte>.Shared.Return(_current);
            _current = null;
            if (_done) return 0;
            if (await _chunks.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && _chunks.Reader.TryRead(out var chunk))
            {
                (_current, _count, _offset) = (chunk.Buffer, chunk.Count, 0);
                continue;
            }

            if (_chunks.Reader.Completion.IsCompleted)
            {
                _done = true;
                _error?.Throw();
                return 0;
            }
        }

        var n = Math.Min(buffer.Length, _count - _offset);
        _current.AsSpan(_offset, n).CopyTo(buffer.Span);
        _offset += n;
        return n;
    }

    public override async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _producer.ConfigureAwait(false); // never throws: errors are kept in _error
        }
        finally
        {
            while (_chunks.Reader.TryRead(out var chunk)) ArrayPool<byte>.Shared.Return(chunk.Buffer);
            if (_current is not null) ArrayPool<byte>.Shared.Return(_current);
            _current = null;
            _stop.Dispose();
        }

        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_producer.IsCompleted)
        {
            _stop.Cancel(); // the producer stops at its next await and disposes the source itself
        }

        base.Dispose(disposing);
    }
}
