using System.Globalization;
using PluggableSnapshotter.Bench.ParallelPull;
using PluggableSnapshotter.Bench.Pull;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;

// Parallel-pull benchmark (root; issue 5): a many-small-files image and a large-layer image on a loopback registry, pulled
// side by side in one run through containerd's overlayfs, our daemon with [local] and with [parallel-pull], all on tmpfs;
// wall time (median of --runs), CPU seconds of ctr + containerd + our daemon, and the floor (slowest layer's gzip -dc + tar -x).
// Usage: parallel-pull-bench [--daemon-log] [--runs N] [--small-mb MB] [--large-mb MB] [--layers N] [--chunk SIZE] [--downloads N] [--unpacks N] [--decompressor PATH]
var runs = IntOption("--runs", 3);
var smallMegabytes = IntOption("--small-mb", 200);
var largeMegabytes = IntOption("--large-mb", 1024);
var layerCount = IntOption("--layers", 10);
var settings = new Dictionary<string, string>
{
    ["concurrent_download_chunk_size"] = Option("--chunk") ?? "8mb", // "0" = one request per layer
    ["max_concurrent_downloads_per_image"] = Option("--downloads") ?? "6",
    ["max_concurrent_unpacks_per_image"] = Option("--unpacks") ?? "2",
    ["discard_unpacked_layers"] = "true",
};
if (Option("--decompressor") is { } decompressor)
{
    settings["decompress_streams"] = $"{{ gzip: {{ path: {decompressor}, args: [\"-d\", \"-c\"] }} }}";
}

var ct = CancellationToken.None;
foreach (var plugin in new[] { "local", "parallel-pull" })
{
    if (!Directory.Exists(Path.Combine(RepositoryPaths.Root, "out", "plugins", plugin)) || !File.Exists(RepositoryPaths.Daemon))
        throw new InvalidOperationException($"out/host or out/plugins/{plugin} is missing: run scripts/build.sh first");
}

await using var tmpfs = await TmpfsDirectory.CreateAsync("ppbench", ct, size: "14g");
await using var registryServer = await RegistryFixture.StartAsync(ct, tmpfs.Path);
using var registry = new RegistryClient();
var generator = new ImageGenerator(registry, Directory.CreateDirectory(tmpfs.Combine("images")).FullName);
Console.WriteLine($"generating images (small {smallMegabytes} MB in {layerCount} layers, large {largeMegabytes} MB) ...");
GeneratedImage[] images =
[
    await generator.ManySmallFilesAsync(registryServer.Reference("bench/small", "v1"), layerCount, smallMegabytes * 1_000_000L, ct),
    await generator.LargeLayerAsync(registryServer.Reference("bench/large", "v1"), largeMegabytes * 1_048_576L, ct),
];
var rig = new PullRig(Directory.CreateDirectory(tmpfs.Combine("runs")).FullName, RepositoryPaths.Root, settings, args.Contains("--daemon-log"));
Console.WriteLine($"parallel-pull settings: {string.Join(", ", settings.Select(s => $"{s.Key}={s.Value}"))}; {Environment.ProcessorCount} cores");

foreach (var image in images)
{
    var (floor, gunzip, extract) = await Floor.MeasureAsync(image, tmpfs.Path, ct);
    await rig.PullAsync(PullMode.ParallelPull, image.Reference, ct); // warm-up: page cache, JIT of the bench itself
    var results = new Dictionary<PullMode, PullSample>();
    var samples = Enum.GetValues<PullMode>().ToDictionary(m => m, _ => new List<PullSample>());
    for (var run = 0; run < runs; run++)
    {
        foreach (var mode in Enum.GetValues<PullMode>()) samples[mode].Add(await rig.PullAsync(mode, image.Reference, ct)); // interleaved: noise hits all alike
    }

    foreach (var (mode, list) in samples) results[mode] = list.OrderBy(s => s.Wall).ElementAt(list.Count / 2);
    var overlayfs = results[PullMode.Overlayfs].Wall;
    Console.WriteLine();
    Console.WriteLine($"== {image.Name}: {image.Layers.Count} layers, {image.Files} files, {image.CompressedBytes / 1e6:F0} MB gzip, {image.UncompressedBytes / 1e6:F0} MB tar (median of {runs})");
    Console.WriteLine("  pull                         wall      vs overlayfs  vs floor   CPU s   CPU/wall");
    foreach (var (mode, sample) in results)
    {
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {Name(mode),-26} {sample.Wall.TotalSeconds,7:F2}s   {sample.Wall / overlayfs,6:F2}x     {sample.Wall / floor,6:F2}x  {sample.CpuSeconds,6:F1}   {sample.CpuSeconds / sample.Wall.TotalSeconds,5:F2}"));
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"  floor (slowest layer)      {floor.TotalSeconds,7:F2}s   = gzip -dc {gunzip.TotalSeconds:F2}s + tar -x {extract.TotalSeconds:F2}s"));
}

static string Name(PullMode mode) => mode switch
{
    PullMode.Overlayfs => "containerd overlayfs",
    PullMode.Local => "[local] (rpull)",
    _ => "[parallel-pull] (rpull)",
};

string? Option(string name)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
}

int IntOption(string name, int fallback) => int.TryParse(Option(name), out var value) ? value : fallback;
