using System.Runtime.InteropServices;
using static PluggableSnapshotter.Soci.Gzip.ZlibNative;

namespace PluggableSnapshotter.Soci.Gzip;

/// <summary>
/// One zlib inflate stream. The z_stream lives in native memory because zlib keeps a pointer
/// back to it and rejects a stream that moved.
/// </summary>
internal sealed unsafe class ZlibInflater : IDisposable
{
    /// <summary>windowBits for a gzip wrapper only (15 + 16), as Go's gzip reader accepts.</summary>
    public const int GzipWindowBits = 31;

    /// <summary>windowBits for raw deflate, used when resuming at a checkpoint.</summary>
    public const int RawWindowBits = -15;

    private ZStream* _stream;

    public ZlibInflater(int windowBits)
    {
        _stream = (ZStream*)NativeMemory.AllocZeroed((nuint)sizeof(ZStream));
        int rc = InflateInit2(_stream, windowBits, ZlibVersion(), sizeof(ZStream));
        if (rc != Ok)
        {
            NativeMemory.Free(_stream);
            _stream = null;
            throw new InvalidOperationException($"zlib inflateInit2 failed with code {rc}");
        }
    }

    /// <summary>zlib's data_type after the last call: unused bits, +64 in the last block, +128 at a block boundary.</summary>
    public int DataType => Stream->DataType;

    private ZStream* Stream => _stream != null ? _stream : throw new ObjectDisposedException(nameof(ZlibInflater));

    /// <summary>Runs inflate once; reports how much input was consumed and output produced.</summary>
    public int Inflate(ReadOnlySpan<byte> input, Span<byte> output, int flush, out int consumed, out int produced)
    {
        ZStream* s = Stream;
        fixed (byte* inPtr = input)
        fixed (byte* outPtr = output)
        {
            s->NextIn = inPtr;
            s->AvailIn = (uint)input.Length;
            s->NextOut = outPtr;
            s->AvailOut = (uint)output.Length;
            int rc = ZlibNative.Inflate(s, flush);
            consumed = input.Length - (int)s->AvailIn;
            produced = output.Length - (int)s->AvailOut;
            s->NextIn = null;
            s->NextOut = null;
            return rc;
        }
    }

    /// <summary>The message zlib left for the last error, if any.</summary>
    public string? LastMessage => Stream->Msg == null ? null : new string(Stream->Msg);

    public void Reset() => Check(InflateReset(Stream), "inflateReset");

    /// <summary>Feeds the low <paramref name="bits"/> bits of <paramref name="value"/> before the next input byte.</summary>
    public void Prime(int bits, int value) => Check(InflatePrime(Stream, bits, value), "inflatePrime");

    public void SetDictionary(ReadOnlySpan<byte> dictionary)
    {
        fixed (byte* d = dictionary)
        {
            Check(InflateSetDictionary(Stream, d, (uint)dictionary.Length), "inflateSetDictionary");
        }
    }

    public void Dispose()
    {
        if (_stream != null)
        {
            _ = InflateEnd(_stream); // only fails for a stream zlib does not know; nothing to do while freeing it
            NativeMemory.Free(_stream);
            _stream = null;
        }
    }

    private static void Check(int rc, string call)
    {
        if (rc != Ok)
        {
            throw new InvalidDataException($"zlib {call} failed with code {rc}");
        }
    }
}
