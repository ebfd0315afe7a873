using System.IO.Compression;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Store;

/// <summary>
/// A fill with <c>low_priority: true</c> against a loopback registry, slowed by its bandwidth cap so that its
/// unpack threads can be seen in /proc/self/task while it runs: they are lowered, and the layer still ends up local with
/// every byte right.
/// </summary>
public sealed class BackgroundFillPriorityTests : IDisposable
{
    private static readonly byte[] Index = "ztoc"u8.ToArray();
    private readonly string _state = Directory.CreateTempSubdirectory("background-fill-priority-").FullName;

    public void Dispose() => Directory.Delete(_state, recursive: true);

    [RootOnlyFact]
    public async Task Fill_LowPriority_UnpacksOnThreadsAtNice19AndGoesLocalWithEveryByte()
    {
        var contents = Enumerable.Range(0, 4).Select(i => Convert.ToBase64String(RandomBytes(i, 256 * 1024))).ToArray();
        var builder = new LayerTarBuilder().Directory("data");
        for (var i = 0; i < contents.Length; i++) builder.File($"data/file-{i}", contents[i]);
        var blob = Gzip(builder.ToTar());
        await using var server = new ShortBodyRegistry(blob, shortBodies: 0);
        var digest = OciDigest.Compute(blob).ToString();
        var store = new LayerStore(_state, new StoreOptions());
        store.Attach(digest, "/m1", blob.Length, "img", null);
        store.RecordPartial(digest, MediaTypes.OciLayerGzip, OciDigest.Compute(Index).ToString(), Index, []);
        using var registry = new RegistryClient();
        // About two seconds for the blob: long enough to see the unpack's threads while they wait for it.
        var options = new BackgroundFillOptions { ChunkBytes = 64 * 1024, MaxBytesPerSecond = blob.Length / 2, DelayMilliseconds = 0, LowPriority = true };
        await using var fill = new BackgroundFill(registry, store, new LayerApplier(), options, userXattr: false);

        fill.Enqueue(new FillRequest(ImageReference.Parse(server.Reference),
            new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = digest, Size = blob.Length },
            new LayerIndexFile(OciDigest.Compute(Index).ToString(), Index, 4L << 20), LayerInode.NewDirectory(0x1ED), DateTimeOffset.UtcNow));
        var unpackNices = new HashSet<int>();
        for (var waited = 0; store.StateOf(digest) is not (LayerState.Local or LayerState.Failed) && waited < 1500; waited++)
        {
            foreach (var nice in UnpackThreadNices()) unpackNices.Add(nice);
            await Task.Delay(20);
        }

        Assert.Equal(LayerState.Local, store.StateOf(digest));
        Assert.Equal([19], unpackNices); // seen, and only lowered (this class alone starts fills of this layer)
        var (_, fsPath) = store.FillPaths(digest);
        for (var i = 0; i < contents.Length; i++) Assert.Equal(contents[i], File.ReadAllText(Path.Join(fsPath, $"data/file-{i}")));
        store.ClosePartials();
    }

    /// <summary>The nice values of this process's layer-inflate and layer-unpack threads (proc(5): field 19 of stat).</summary>
    private static IEnumerable<int> UnpackThreadNices()
    {
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Join(task, "stat"));
            }
            catch (IOException)
            {
                continue; // ended meanwhile
            }

            var comm = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
            if (comm is "layer-inflate" or "layer-unpack") yield return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16]);
        }
    }

    private static byte[] RandomBytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] Gzip(byte[] tar)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(tar);
        return buffer.ToArray();
    }
}
