using System.Diagnostics;
using System.IO.Compression;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Bench.Pull;

/// <summary>
/// The local backend's path at library level: for each layer in order, fetch (digest verified while streaming),
/// decompress, apply into a directory on tmpfs (diff ID checked). Plus passes that each isolate one stage.
/// </summary>
internal sealed class LibraryPull(RegistryClient registry, string registryHost, string scratch)
{
    private readonly LayerApplier _applier = new();
    private readonly HttpClient _raw = new();

    public TimeSpan LastReadTime { get; private set; }
    public TimeSpan LastWriteTime { get; private set; }

    /// <summary>Fetch + verify + decompress + apply, layer after layer (what MountLocal does per Prepare).</summary>
    public async Task PullAsync(GeneratedImage image, CancellationToken ct)
    {
        var reference = ImageReference.Parse(image.Reference);
        TimeSpan read = TimeSpan.Zero, write = TimeSpan.Zero;
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            var blob = await registry.OpenBlobAsync(reference, layer.Descriptor, ct);
            var result = await _applier.ApplyAsync(blob, Path.Combine(scratch, $"layer-{i}"), new LayerApplyOptions
            {
                MediaType = layer.Descriptor.MediaType,
                ExpectedDiffId = layer.DiffId,
            }, ct);
            read += result.ReadTime;
            write += result.WriteTime;
        }

        LastReadTime = read;
        LastWriteTime = write;
    }

    /// <summary>Only the HTTP transfer: the raw blob bytes to nowhere, no hashing.</summary>
    public async Task FetchOnlyAsync(GeneratedImage image, CancellationToken ct)
    {
        var repository = ImageReference.Parse(image.Reference).Repository;
        foreach (var layer in image.Layers)
        {
            await using var body = await _raw.GetStreamAsync(new Uri($"http://{registryHost}/v2/{repository}/blobs/{layer.Descriptor.Digest}"), ct);
            await body.CopyToAsync(Stream.Null, 1 << 20, ct);
        }
    }

    /// <summary>The transfer with the digest check of <see cref="RegistryClient.OpenBlobAsync"/>.</summary>
    public async Task FetchVerifyAsync(GeneratedImage image, CancellationToken ct)
    {
        var reference = ImageReference.Parse(image.Reference);
        foreach (var layer in image.Layers)
        {
            await using var blob = await registry.OpenBlobAsync(reference, layer.Descriptor, ct);
            await blob.CopyToAsync(Stream.Null, 1 << 20, ct);
        }
    }

    /// <summary>gzip decompression with .NET's GZipStream (zlib-ng inside) from blobs already on tmpfs.</summary>
    public static async Task DecompressAsync(GeneratedImage image, CancellationToken ct)
    {
        foreach (var layer in image.Layers)
        {
            await using var file = File.OpenRead(layer.BlobPath);
            await using var gzip = new GZipStream(file, CompressionMode.Decompress);
            await gzip.CopyToAsync(Stream.Null, 1 << 20, ct);
        }
    }

    /// <summary>The same with the system's zlib (pigz -dc, single stream), to compare the two inflaters.</summary>
    public static async Task DecompressWithSystemZlibAsync(GeneratedImage image, CancellationToken ct)
    {
        foreach (var layer in image.Layers)
        {
            using var process = Process.Start(new ProcessStartInfo("sh", ["-c", $"pigz -dc -p 1 '{layer.BlobPath}' > /dev/null"]))!;
            await process.WaitForExitAsync(ct);
        }
    }

    /// <summary>Tar parsing, diff ID hashing and file system writes only: apply the uncompressed tars from tmpfs.</summary>
    public async Task WriteOnlyAsync(GeneratedImage image, CancellationToken ct)
    {
        for (var i = 0; i < image.Layers.Count; i++)
        {
            var layer = image.Layers[i];
            await _applier.ApplyAsync(File.OpenRead(layer.TarPath), Path.Combine(scratch, $"layer-{i}"), new LayerApplyOptions
            {
                MediaType = MediaTypes.OciLayer,
                ExpectedDiffId = layer.DiffId,
            }, ct);
        }
    }

    /// <summary>Removes what the last pass applied.</summary>
    public Task CleanAsync()
    {
        foreach (var directory in Directory.EnumerateDirectories(scratch)) Directory.Delete(directory, recursive: true);
        return Task.CompletedTask;
    }
}
