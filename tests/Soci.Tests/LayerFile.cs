namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Serves byte ranges of a layer blob on disk, as a registry range request would.</summary>
public static class LayerFile
{
    public static CompressedRangeReader RangeReader(byte[] blob) => (offset, length, _) =>
        ValueTask.FromResult<ReadOnlyMemory<byte>>(blob.AsMemory((int)offset, length));

    public static async Task<Ztoc> BuildAsync(byte[] blob, LayerCompression compression, long spanSize, string tool = "test")
    {
        using var stream = new MemoryStream(blob, writable: false);
        return await ZtocBuilder.BuildAsync(stream, compression,
            new ZtocBuildOptions { SpanSize = spanSize, BuildToolIdentifier = tool }, CancellationToken.None);
    }
}
