using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Bench.Pull;

/// <summary>An image the bench generated and pushed: its reference and its layers (gzip blobs and their tars on tmpfs).</summary>
internal sealed record GeneratedImage(string Name, string Reference, IReadOnlyList<GeneratedLayer> Layers)
{
    public long CompressedBytes => Layers.Sum(l => l.Descriptor.Size);
    public long UncompressedBytes => Layers.Sum(l => new FileInfo(l.TarPath).Length);
    public int Files => Layers.Sum(l => l.Files);
}

/// <summary>One generated layer: its descriptor, diff ID, and where its blob and uncompressed tar are kept.</summary>
internal sealed record GeneratedLayer(Descriptor Descriptor, string DiffId, string BlobPath, string TarPath, int Files);
