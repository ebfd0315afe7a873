using PluggableSnapshotter.Bench.Pull;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using static PluggableSnapshotter.Bench.Pull.Timings;

// Pull benchmark (root): generates a many-small-files image and a large-layer image, pushes them to a loopback
// docker-registry, then times, side by side, containerd's own overlayfs pull and the local backend's path
// (library level, and through our daemon when out/host and out/plugins/local exist). Everything lives on tmpfs.
// Usage: pull-bench [--runs N] [--small-mb MB] [--large-mb MB] [--layers N] [--no-daemon]
var runs = Option("--runs", 3);
var smallMegabytes = Option("--small-mb", 200);
var largeMegabytes = Option("--large-mb", 1024);
var layerCount = Option("--layers", 10);
var ct = CancellationToken.None;

await using var tmpfs = await TmpfsDirectory.CreateAsync("pullbench", ct, size: "12g");
await using var registryServer = await RegistryFixture.StartAsync(ct, tmpfs.Path);
using var registry = new RegistryClient();
var images = Directory.CreateDirectory(tmpfs.Combine("images")).FullName;
var generator = new ImageGenerator(registry, images);
Console.WriteLine($"generating images (small {smallMegabytes} MB in {layerCount} layers, large {largeMegabytes} MB) ...");
GeneratedImage[] generated =
[
    await generator.ManySmallFilesAsync(registryServer.Reference("bench/small", "v1"), layerCount, smallMegabytes * 1_000_000L, ct),
    await generator.LargeLayerAsync(registryServer.Reference("bench/large", "v1"), largeMegabytes * 1_048_576L, ct),
];

var scratch = Directory.CreateDirectory(tmpfs.Combine("apply")).FullName;
var library = new LibraryPull(registry, registryServer.Host, scratch);
var pluginDirectory = Path.Combine(RepositoryPaths.Root, "out", "plugins", "local");
var daemonAvailable = File.Exists(RepositoryPaths.Daemon) && File.Exists(Path.Combine(pluginDirectory, "PluggableSnapshotter.Plugins.Local.dll"));
await using var containerd = new ContainerdPull(Directory.CreateDirectory(tmpfs.Combine("ctd")).FullName, pluginDirectory);
Task Nothing() => Task.CompletedTask;

foreach (var image in generated)
{
    // Warm up the JIT and the registry's page cache once, outside the measurements.
    await library.PullAsync(image, ct);
    await library.CleanAsync();

    var overlayfs = await MedianAsync(runs, () => containerd.StartAsync(false, ct), () => containerd.OverlayfsPullAsync(image.Reference, ct), containerd.StopAsync);
    var ours = await MedianAsync(runs, Nothing, () => library.PullAsync(image, ct), library.CleanAsync);
    var (read, write) = (library.LastReadTime, library.LastWriteTime);
    TimeSpan? daemon = null;
    var daemonNote = "skipped (run scripts/build.sh for out/host and out/plugins/local, and leave out --no-daemon)";
    if (daemonAvailable && !args.Contains("--no-daemon"))
    {
        try
        {
            daemon = await MedianAsync(runs, () => containerd.StartAsync(true, ct), () => containerd.DaemonPullAsync(image.Reference, ct), containerd.StopAsync);
        }
        catch (InvalidOperationException ex)
        {
            daemonNote = "failed: " + ex.Message.Split('\n')[0];
        }
    }

    var fetch = await MedianAsync(runs, Nothing, () => library.FetchOnlyAsync(image, ct), Nothing);
    var fetchVerify = await MedianAsync(runs, Nothing, () => library.FetchVerifyAsync(image, ct), Nothing);
    var inflate = await MedianAsync(runs, Nothing, () => LibraryPull.DecompressAsync(image, ct), Nothing);
    var systemZlib = await MedianAsync(runs, Nothing, () => LibraryPull.DecompressWithSystemZlibAsync(image, ct), Nothing);
    var writeOnly = await MedianAsync(runs, Nothing, () => library.WriteOnlyAsync(image, ct), library.CleanAsync);

    Console.WriteLine();
    Console.WriteLine($"== {image.Name}: {image.Layers.Count} layers, {image.Files} files, {image.CompressedBytes / 1e6:F0} MB gzip, {image.UncompressedBytes / 1e6:F0} MB tar (median of {runs})");
    Console.WriteLine($"  containerd overlayfs (ctr image pull)       {Seconds(overlayfs)}");
    Console.WriteLine($"  local backend, library (fetch+verify+apply) {Seconds(ours)}   ratio {ours / overlayfs:F2}x");
    if (daemon is { } d) Console.WriteLine($"  local backend via daemon (ctr-remote rpull) {Seconds(d)}   ratio {d / overlayfs:F2}x");
    else Console.WriteLine($"  local backend via daemon: {daemonNote}");
    Console.WriteLine("  where the time goes (each stage alone):");
    Console.WriteLine($"    fetch (HTTP only)                         {Seconds(fetch)} {Rate(image.CompressedBytes, fetch)}");
    Console.WriteLine($"    fetch + verify digest                     {Seconds(fetchVerify)} {Rate(image.CompressedBytes, fetchVerify)}");
    Console.WriteLine($"    decompress, .NET GZipStream (zlib-ng)     {Seconds(inflate)} {Rate(image.UncompressedBytes, inflate)}");
    Console.WriteLine($"    decompress, system zlib (pigz -dc -p 1)   {Seconds(systemZlib)} {Rate(image.UncompressedBytes, systemZlib)}");
    Console.WriteLine($"    tar parse + diff ID + write (from tar)    {Seconds(writeOnly)} {Rate(image.UncompressedBytes, writeOnly)}");
    Console.WriteLine($"  in the full library pull: waiting for tar bytes {Seconds(read)}, writing {Seconds(write)}");
}

int Option(string name, int fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out var value) ? value : fallback;
}
