using System.Security.Cryptography;
using PluggableSnapshotter.Soci.Gzip;
using static PluggableSnapshotter.Soci.Gzip.ZlibNative;

namespace PluggableSnapshotter.Soci.Build;

/// <summary>
/// Inflates a gzip layer (one or more members) block by block with zlib's Z_BLOCK, taking a checkpoint at the
/// first block boundary after the header and then at block ends once more than a span of output has passed
/// (soci-formats.md, "Gzip checkpoints"). Output goes through a 32 KiB circular window, as in zlib's zran.c,
/// so each checkpoint's window is the last 32 KiB of output. Span digests are hashed from the compressed
/// bytes as they stream past.
/// </summary>
internal sealed class GzipIndexer(Stream source, long spanSize) : ILayerIndexer
{
    private const int WindowSize = GzipCheckpointTable.WindowSize;

    private readonly ZlibInflater _inflater = new(ZlibInflater.GzipWindowBits);
    private readonly byte[] _input = new byte[64 * 1024];
    private readonly byte[] _window = new byte[WindowSize];
    private readonly List<GzipCheckpoint> _points = [];
    private readonly List<string> _digests = [];

    private int _inputLength, _inputPosition;
    private long _inputBase;
    private byte _byteBeforeInput;
    private int _windowPosition, _readPosition;
    private long _totalOut, _memberOut, _lastCheckpointOut;
    private bool _memberEnded, _finished;
    private IncrementalHash? _spanHash;
    private long _hashedUpTo;

    public async ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (_readPosition < _windowPosition)
            {
                int n = Math.Min(destination.Length, _windowPosition - _readPosition);
                _window.AsMemory(_readPosition, n).CopyTo(destination);
                _readPosition += n;
                return n;
            }
            if (_finished)
            {
                return 0;
            }
            await StepAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public async Task<LayerIndex> FinishAsync(CancellationToken cancellationToken)
    {
        while (!_finished)
        {
            _readPosition = _windowPosition;
            await StepAsync(cancellationToken).ConfigureAwait(false);
        }
        var info = new CompressionInfo
        {
            Algorithm = CompressionAlgorithm.Gzip,
            MaxSpanId = _points.Count - 1,
            SpanDigests = _digests,
            Checkpoints = GzipCheckpointTable.Serialize(spanSize, _points),
        };
        return new LayerIndex(_inputBase, info);
    }

    public void Dispose()
    {
        _inflater.Dispose();
        _spanHash?.Dispose();
    }

    private async ValueTask StepAsync(CancellationToken cancellationToken)
    {
        if (_windowPosition == WindowSize)
        {
            _windowPosition = _readPosition = 0;
        }
        bool sourceEnded = false;
        if (_inputPosition == _inputLength)
        {
            sourceEnded = !await RefillAsync(cancellationToken).ConfigureAwait(false);
            if (sourceEnded && _memberEnded)
            {
                Finish();
                return;
            }
        }
        if (_memberEnded)
        {
            StartNextMember();
        }

        // With the source at its end zlib may still hold output for bits it has already taken in.
        int rc = _inflater.Inflate(_input.AsSpan(_inputPosition, _inputLength - _inputPosition),
            _window.AsSpan(_windowPosition), Block, out int consumed, out int produced);
        _inputPosition += consumed;
        _windowPosition += produced;
        _totalOut += produced;
        _memberOut += produced;
        if (rc == StreamEnd)
        {
            _memberEnded = true;
            return;
        }
        if (sourceEnded && consumed == 0 && produced == 0)
        {
            throw new InvalidDataException($"gzip layer ends in the middle of a member (after {_inputBase} bytes)");
        }
        if (rc != Ok)
        {
            throw new InvalidDataException(
                $"gzip layer is corrupt near compressed byte {_inputBase + _inputPosition}: {_inflater.LastMessage ?? $"zlib code {rc}"}");
        }
        ConsiderCheckpoint(_inflater.DataType);
    }

    private void Finish()
    {
        HashUpTo(_inputBase);
        if (_spanHash is not null)
        {
            _digests.Add(SpanDigest.Finish(_spanHash));
        }
        _finished = true;
    }

    /// <summary>Concatenated members are one stream: counters keep running; the window restarts empty.</summary>
    private void StartNextMember()
    {
        _inflater.Reset();
        Array.Clear(_window);
        _windowPosition = _readPosition = 0;
        _memberOut = 0;
        _memberEnded = false;
    }

    private void ConsiderCheckpoint(int dataType)
    {
        bool atBlockBoundary = (dataType & 128) != 0 && (dataType & 64) == 0;
        if (!atBlockBoundary)
        {
            return;
        }
        bool first = _points.Count == 0 && _totalOut == 0;
        bool spanPassed = _points.Count > 0 && _memberOut > 0 && _totalOut - _lastCheckpointOut > spanSize;
        if (first || spanPassed)
        {
            AddCheckpoint((byte)(dataType & 7));
        }
    }

    private void AddCheckpoint(byte bits)
    {
        long inOffset = _inputBase + _inputPosition;
        var window = new byte[WindowSize];
        _window.AsSpan(_windowPosition).CopyTo(window);
        _window.AsSpan(0, _windowPosition).CopyTo(window.AsSpan(WindowSize - _windowPosition));
        _points.Add(new GzipCheckpoint(inOffset, _totalOut, bits, window));
        _lastCheckpointOut = _totalOut;

        // Span i ends at in_{i+1}; span i+1 starts one byte earlier when it starts mid-byte.
        HashUpTo(inOffset);
        if (_spanHash is not null)
        {
            _digests.Add(SpanDigest.Finish(_spanHash));
        }
        _spanHash ??= IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        if (bits != 0)
        {
            long shared = inOffset - 1;
            byte b = shared >= _inputBase ? _input[shared - _inputBase] : _byteBeforeInput;
            _spanHash.AppendData([b]);
        }
    }

    private void HashUpTo(long end)
    {
        if (_spanHash is not null && end > _hashedUpTo)
        {
            _spanHash.AppendData(_input, (int)(_hashedUpTo - _inputBase), (int)(end - _hashedUpTo));
        }
        _hashedUpTo = Math.Max(_hashedUpTo, end);
    }

    private async ValueTask<bool> RefillAsync(CancellationToken cancellationToken)
    {
        HashUpTo(_inputBase + _inputLength);
        if (_inputLength > 0)
        {
            _byteBeforeInput = _input[_inputLength - 1];
        }
        _inputBase += _inputLength;
        _inputPosition = 0;
        _inputLength = await source.ReadAsync(_input, cancellationToken).ConfigureAwait(false);
        return _inputLength > 0;
    }
}
