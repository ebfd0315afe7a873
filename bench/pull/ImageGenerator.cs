using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Bench.Pull;

/// <summary>
/// Generates benchmark images (deterministic pseudo-random content, partly compressible like real files), writes each
/// layer as tar and tar.gz on tmpfs, and pushes the image to the loopback registry.
/// </summary>
internal sealed class ImageGenerator(RegistryClient registry, string workDirectory)
{
    /// <summary>~200 MB in <paramref name="layers"/> layers of many small files (1–40 KB).</summary>
    public Task<GeneratedImage> ManySmallFilesAsync(string reference, int layers, long totalBytes, CancellationToken ct) =>
        BuildAsync("many-small-files", reference, layers, index => SmallFiles(index, totalBytes / layers), ct);

    /// <summary>One layer of ~<paramref name="totalBytes"/> in files of 64 MiB.</summary>
    public Task<GeneratedImage> LargeLayerAsync(string reference, long totalBytes, CancellationToken ct) =>
        BuildAsync("large-layer", reference, 1, _ => LargeFiles(totalBytes), ct);

    private static IEnumerable<(string Name, int Size)> SmallFiles(int layer, long bytes)
    {
        var random = new Random(1000 + layer);
        long written = 0;
        for (var i = 0; written < bytes; i++)
        {
            var size = random.Next(1024, 40 * 1024);
            written += size;
            yield return ($"layer{layer}/dir{i % 50:D2}/sub{i / 50 % 20:D2}/file{i:D6}.txt", size);
        }
    }

    private static IEnumerable<(string Name, int Size)> LargeFiles(long bytes)
    {
        const int size = 64 * 1024 * 1024;
        for (var i = 0; (long)i * size < bytes; i++) yield return ($"data/blob{i:D3}.bin", size);
    }

    private async Task<GeneratedImage> BuildAsync(string name, string reference, int layerCount,
        Func<int, IEnumerable<(string Name, int Size)>> files, CancellationToken ct)
    {
        var imageReference = ImageReference.Parse(reference);
        var layers = new List<GeneratedLayer>();
        for (var index = 0; index < layerCount; index++)
        {
            var tarPath = Path.Combine(workDirectory, $"{name}-{index}.tar");
            var blobPath = tarPath + ".gz";
            var count = WriteTar(tarPath, files(index), seed: index);
            await using (var input = File.OpenRead(tarPath))
            await using (var output = File.Create(blobPath))
            await using (var gzip = new GZipStream(output, CompressionLevel.Fastest))
                await input.CopyToAsync(gzip, ct);
            var descriptor = new Descriptor
            {
                MediaType = MediaTypes.OciLayerGzip,
                Digest = "sha256:" + Convert.ToHexStringLower(await HashAsync(blobPath, ct)),
                Size = new FileInfo(blobPath).Length,
            };
            await registry.PushBlobAsync(imageReference, descriptor, _ => Task.FromResult<Stream>(File.OpenRead(blobPath)), ct);
            layers.Add(new GeneratedLayer(descriptor, "sha256:" + Convert.ToHexStringLower(await HashAsync(tarPath, ct)), blobPath, tarPath, count));
        }

        var diffIds = string.Join(',', layers.Select(l => $"\"{l.DiffId}\""));
        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","config":{"Cmd":["/bin/sh"]},"rootfs":{"type":"layers","diff_ids":[{{diffIds}}]} }""");
        var configDescriptor = await registry.PushBlobAsync(imageReference, config, MediaTypes.OciConfig, ct);
        var manifest = OciJson.Serialize(new ImageManifest
        {
            MediaType = MediaTypes.OciManifest,
            Config = configDescriptor,
            Layers = layers.Select(l => l.Descriptor).ToList(),
        });
        await registry.PushManifestAsync(imageReference, MediaTypes.OciManifest, manifest, ct);
        return new GeneratedImage(name, reference, layers);
    }

    // Content: a mix of random bytes and text-like runs, about 2:1 compressible like typical binaries and text files.
    private static int WriteTar(string path, IEnumerable<(string Name, int Size)> files, int seed)
    {
        var random = new Random(seed);
        var alphabet = "abcdefghijklmnopqrstuvwxyz      \n"u8.ToArray();
        using var stream = File.Create(path);
        using var writer = new TarWriter(stream, TarEntryFormat.Pax);
        var directories = new HashSet<string>();
        var count = 0;
        foreach (var (name, size) in files)
        {
            var missing = new Stack<string>();
            for (var d = Path.GetDirectoryName(name)!; !string.IsNullOrEmpty(d) && directories.Add(d); d = Path.GetDirectoryName(d)!) missing.Push(d);
            foreach (var d in missing) // parents first
            {
                writer.WriteEntry(new PaxTarEntry(TarEntryType.Directory, d + "/") { Mode = (UnixFileMode)0x1ED, ModificationTime = DateTimeOffset.UnixEpoch });
            }

            var content = new byte[size];
            random.NextBytes(content.AsSpan(0, size / 3));
            for (var i = size / 3; i < size; i++) content[i] = alphabet[random.Next(alphabet.Length)];
            writer.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name)
            {
                Mode = (UnixFileMode)0x1A4, Uid = 1000, Gid = 1000, ModificationTime = DateTimeOffset.UnixEpoch.AddDays(19000),
                DataStream = new MemoryStream(content),
            });
            count++;
        }

        return count;
    }

    private static async Task<byte[]> HashAsync(string path, CancellationToken ct)
    {
        await using var file = File.OpenRead(path);
        return await SHA256.HashDataAsync(file, ct);
    }
}
