using System.Buffers;
using System.Security.Cryptography;

namespace PluggableSnapshotter.Soci.Build;

/// <summary>The "sha256:&lt;hex&gt;" form SOCI uses for span digests.</summary>
internal static class SpanDigest
{
    private static readonly SearchValues<char> LowerHex = SearchValues.Create("0123456789abcdef");

    public const string Prefix = "sha256:";

    public static string Finish(IncrementalHash hash) => Prefix + Convert.ToHexStringLower(hash.GetHashAndReset());

    public static string Of(ReadOnlySpan<byte> data) => Prefix + Convert.ToHexStringLower(SHA256.HashData(data));

    /// <summary>True when <paramref name="digest"/> is "sha256:" and 64 lowercase hex digits.</summary>
    public static bool IsWellFormed(string digest) =>
        digest.Length == Prefix.Length + 64
        && digest.StartsWith(Prefix, StringComparison.Ordinal)
        && digest.AsSpan(Prefix.Length).IndexOfAnyExcept(LowerHex) < 0;
}
