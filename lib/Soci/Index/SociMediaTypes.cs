namespace PluggableSnapshotter.Soci;

/// <summary>Media types of SOCI artifacts (soci-formats.md); the OCI and Docker ones are <see cref="MediaTypes"/>.</summary>
public static class SociMediaTypes
{
    public const string IndexV1 = "application/vnd.amazon.soci.index.v1+json";
    public const string IndexV2 = "application/vnd.amazon.soci.index.v2+json";
    public const string Ztoc = "application/octet-stream";
    public const string Prefetch = "application/vnd.amazon.soci.prefetch.v1+json";

    /// <summary>The empty JSON object "{}" SOCI uses as its index config blob.</summary>
    public const string EmptyJsonDigest = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
    public static ReadOnlySpan<byte> EmptyJson => "{}"u8;
}
