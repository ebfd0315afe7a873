namespace PluggableSnapshotter.Soci.Tests;

/// <summary>The golden zTOCs SOCI's own code built (/work/shared/vectors, see its README).</summary>
public static class Vectors
{
    public static string Directory { get; } =
        Environment.GetEnvironmentVariable("SOCI_VECTORS_DIR") ?? "/work/shared/vectors";

    public static string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>(zTOC file, layer file, span size, compression) for each vector.</summary>
    public static TheoryData<string, string, long, LayerCompression> All() => new()
    {
        { "busybox-layer.span-default.ztoc", "busybox-layer.tar.gz", 4L * 1024 * 1024, LayerCompression.Gzip },
        { "busybox-layer.span-64k.ztoc", "busybox-layer.tar.gz", 64 * 1024, LayerCompression.Gzip },
        { "special-layer.span-64k.ztoc", "special-layer.tar.gz", 64 * 1024, LayerCompression.Gzip },
        { "special-layer.tar.span-64k.ztoc", "special-layer.tar", 64 * 1024, LayerCompression.Uncompressed },
    };
}
