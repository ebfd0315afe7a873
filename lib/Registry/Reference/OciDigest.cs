using System.Security.Cryptography;

namespace PluggableSnapshotter.Registry;

/// <summary>A content digest (<c>algorithm:encoded</c>) as the OCI image spec defines it; sha256 and sha512 are supported.</summary>
public readonly record struct OciDigest
{
    private OciDigest(string algorithm, string encoded)
    {
        Algorithm = algorithm;
        Encoded = encoded;
    }

    /// <summary>The algorithm, <c>sha256</c> or <c>sha512</c>.</summary>
    public string Algorithm { get; }

    /// <summary>The lowercase hex digest.</summary>
    public string Encoded { get; }

    /// <summary>Parses <c>sha256:&lt;64 hex&gt;</c> or <c>sha512:&lt;128 hex&gt;</c>.</summary>
    /// <exception cref="FormatException">The text is not a supported digest.</exception>
    public static OciDigest Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out var digest) ? digest : throw new FormatException($"'{text}' is not a valid sha256 or sha512 digest");
    }

    /// <summary>Parses a digest without throwing.</summary>
    public static bool TryParse(string? text, out OciDigest digest)
    {
        digest = default;
        if (text is null) return false;
        var colon = text.IndexOf(':');
        if (colon <= 0) return false;
        var algorithm = text[..colon];
        var encoded = text[(colon + 1)..];
        var expectedLength = algorithm switch { "sha256" => 64, "sha512" => 128, _ => -1 };
        if (encoded.Length != expectedLength || !encoded.All(char.IsAsciiHexDigitLower)) return false;
        digest = new OciDigest(algorithm, encoded);
        return true;
    }

    /// <summary>The sha256 digest of <paramref name="content"/>.</summary>
    public static OciDigest Compute(ReadOnlySpan<byte> content) =>
        new("sha256", Convert.ToHexStringLower(SHA256.HashData(content)));

    /// <summary>
    /// The digest of <paramref name="content"/> in <paramref name="algorithm"/> (<c>sha256</c> or <c>sha512</c>): what to
    /// compare with a digest an index names, whichever algorithm it chose.
    /// </summary>
    /// <exception cref="ArgumentException">The algorithm is neither.</exception>
    public static OciDigest Compute(string algorithm, ReadOnlySpan<byte> content) => algorithm switch
    {
        "sha256" => Compute(content),
        "sha512" => new("sha512", Convert.ToHexStringLower(SHA512.HashData(content))),
        _ => throw new ArgumentException($"'{algorithm}' is not a supported digest algorithm (sha256, sha512)", nameof(algorithm)),
    };

    /// <summary>Whether <paramref name="content"/> hashes to this digest (in its own algorithm).</summary>
    public bool Verifies(ReadOnlySpan<byte> content) => Compute(Algorithm, content) == this;

    /// <summary>Builds a digest from an algorithm and the raw hash bytes.</summary>
    public static OciDigest FromHash(string algorithm, ReadOnlySpan<byte> hash) => new(algorithm, Convert.ToHexStringLower(hash));

    /// <summary>An incremental hash for this digest's algorithm.</summary>
    public IncrementalHash CreateHash() => IncrementalHash.CreateHash(Algorithm switch
    {
        "sha256" => HashAlgorithmName.SHA256,
        "sha512" => HashAlgorithmName.SHA512,
        _ => throw new InvalidOperationException("default OciDigest has no algorithm"),
    });

    /// <summary>True when <paramref name="hash"/> (raw bytes) equals this digest.</summary>
    public bool Matches(ReadOnlySpan<byte> hash) =>
        string.Equals(Convert.ToHexStringLower(hash), Encoded, StringComparison.Ordinal);

    /// <inheritdoc />
    public override string ToString() => $"{Algorithm}:{Encoded}";
}
