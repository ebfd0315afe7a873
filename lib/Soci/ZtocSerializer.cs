using System.Security.Cryptography;
using Google.FlatBuffers;
using PluggableSnapshotter.Soci.Flatbuffers;

namespace PluggableSnapshotter.Soci;

/// <summary>Turns zTOCs into SOCI's flatbuffer bytes and back; reading validates everything (<see cref="ZtocValidator"/>).</summary>
public static class ZtocSerializer
{
    /// <summary>Newer SOCI versions may append prefetch JSON after this marker; the flatbuffer ends before it.</summary>
    private static readonly byte[] PrefetchSeparator = "---SOCI-PREFETCH---"u8.ToArray();

    public static byte[] Serialize(Ztoc ztoc)
    {
        ArgumentNullException.ThrowIfNull(ztoc);
        return FbZtoc.Write(ztoc);
    }

    /// <summary>The zTOC digest: sha256 of its bytes.</summary>
    public static string Digest(ReadOnlySpan<byte> bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>Reads and validates a zTOC. Any structural or semantic fault is an InvalidDataException.</summary>
    public static Ztoc Deserialize(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        int end = bytes.AsSpan().IndexOf(PrefetchSeparator);
        byte[] flatbuffer = end >= 0 ? bytes[..end] : bytes;
        if (flatbuffer.Length < 8)
        {
            throw new InvalidDataException($"zTOC is {flatbuffer.Length} bytes, too short to be a flatbuffer");
        }
        FbZtoc.Verify(flatbuffer);
        var bb = new ByteBuffer(flatbuffer);
        Ztoc ztoc;
        try
        {
            ztoc = FbZtoc.Read(FbZtoc.Root(bb));
        }
        catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or OverflowException)
        {
            // The bounds checks should have caught this; never let a hostile zTOC surface as anything but bad data.
            throw new InvalidDataException($"zTOC flatbuffer is malformed: {e.Message}", e);
        }
        return ZtocValidator.Validate(ztoc);
    }
}
