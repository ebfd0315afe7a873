using System.Diagnostics;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Fuse.Bench;
using PluggableSnapshotter.Fuse.InMemory;

// Sequential read of a 1 GiB file and stat of every entry of a 100k-file tree, each on tmpfs and on the FUSE server
// in the same run, with the ratios. Targets (issue 4): read >= 0.5x tmpfs; stat >= 0.3x tmpfs with the attribute
// cache off. Run as root: bench/fuse/run.sh.
const long FileSize = 1L << 30;
const int Directories = 100;
const int FilesPerDirectory = 1000;
const int Repetitions = 3;
int workers = 0;
string? baseline = null; // the C baseline server (baseline.c), if built
for (int i = 0; i + 1 < args.Length; i += 2)
{
    switch (args[i])
    {
        case "--workers": workers = int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture); break;
        case "--baseline": baseline = args[i + 1]; break;
        default: throw new ArgumentException($"unknown option {args[i]} (use --workers N, --baseline PATH)");
    }
}

string work = Directory.CreateTempSubdirectory("fuse-bench-").FullName;
string tmpfs = Directory.CreateDirectory(Path.Combine(work, "tmpfs")).FullName;
string fuse = Directory.CreateDirectory(Path.Combine(work, "fuse")).FullName;
Check(NativeStat.Mount("fuse-bench", tmpfs, "tmpfs", 0, "size=1200m"), "mount tmpfs");
try
{
    Console.WriteLine($"Preparing: 1 GiB file and {Directories * FilesPerDirectory} files on tmpfs and in memory ...");
    byte[] content = GC.AllocateUninitializedArray<byte>((int)FileSize);
    new Random(1).NextBytes(content);
    File.WriteAllBytes(Path.Combine(tmpfs, "big.bin"), content);
    var root = new MemoryDirectory();
    root.AddFile("big.bin", content);
    var paths = new List<string>();
    for (int d = 0; d < Directories; d++)
    {
        string directory = Directory.CreateDirectory(Path.Combine(tmpfs, "tree", $"d{d:D3}")).FullName;
        MemoryDirectory memoryDirectory = (root.Find("tree") as MemoryDirectory ?? root.AddDirectory("tree")).AddDirectory($"d{d:D3}");
        for (int f = 0; f < FilesPerDirectory; f++)
        {
            string name = $"f{f:D4}";
            File.WriteAllBytes(Path.Combine(directory, name), []);
            memoryDirectory.AddFile(name, Array.Empty<byte>());
            paths.Add(Path.Combine("tree", $"d{d:D3}", name));
        }
    }

    var rows = new List<(string Name, double Tmpfs, double Fuse, string Unit, double Target)>();

    // Read: no keep_cache, so each open starts cold and every byte crosses the FUSE connection.
    double tmpfsRead = Best(() => ReadAll(Path.Combine(tmpfs, "big.bin")));
    await using (FuseMount mount = await FuseMount.MountAsync(fuse, root, new FuseMountOptions { KeepCache = false, Workers = workers }, null, CancellationToken.None))
    {
        rows.Add(("sequential read 1 GiB, cold", tmpfsRead, Best(() => ReadAll(Path.Combine(fuse, "big.bin"))), "MiB/s", 0.5));
    }

    // For reference: with keep_cache (the default) a second open reads from the page cache.
    await using (FuseMount mount = await FuseMount.MountAsync(fuse, root, new FuseMountOptions { Workers = workers }, null, CancellationToken.None))
    {
        rows.Add(("sequential re-read 1 GiB, keep_cache", tmpfsRead, Best(() => ReadAll(Path.Combine(fuse, "big.bin"))), "MiB/s", 0));
    }

    byte[][] tmpfsPaths = paths.Select(p => NativeStat.Encode(Path.Combine(tmpfs, p))).ToArray();
    byte[][] fusePaths = paths.Select(p => NativeStat.Encode(Path.Combine(fuse, p))).ToArray();
    double tmpfsStat = Best(() => StatAll(tmpfsPaths));
    foreach ((string label, TimeSpan entry) in new[] { ("attr cache off", TimeSpan.FromSeconds(60)), ("attr+entry cache off", TimeSpan.Zero) })
    {
        var options = new FuseMountOptions { AttributeTimeout = TimeSpan.Zero, EntryTimeout = entry, Workers = workers };
        await using FuseMount mount = await FuseMount.MountAsync(fuse, root, options, null, CancellationToken.None);
        StatAll(fusePaths); // first pass: LOOKUPs populate the dentry cache
        rows.Add(($"stat 100k entries, {label}", tmpfsStat, Best(() => StatAll(fusePaths)), "stat/s", label == "attr cache off" ? 0.3 : 0));
    }

    if (baseline is not null)
    {
        rows.Add(("stat 100k entries, C baseline server", tmpfsStat, await BaselineStatAsync(baseline, fuse, paths), "stat/s", 0));
    }

    Console.WriteLine();
    Console.WriteLine($"FUSE request workers: {(workers == 0 ? "default" : workers)}; {Environment.ProcessorCount} CPUs; load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    Console.WriteLine($"{"benchmark",-42} {"tmpfs",14} {"fuse",14} {"ratio",7} {"target",7}");
    foreach ((string name, double t, double f, string unit, double target) in rows)
    {
        string verdict = target == 0 ? "" : (f / t >= target ? $">={target:0.0} ok" : $">={target:0.0} MISS");
        Console.WriteLine($"{name,-42} {t,9:N0} {unit,-6} {f,7:N0} {unit,-6} {f / t,6:0.00}x {verdict}");
    }
}
finally
{
    NativeStat.Umount2(fuse, 2);
    NativeStat.Umount2(tmpfs, 2);
    Directory.Delete(work, recursive: true);
}

// The same stat loop through the minimal C server (one kernel round trip per stat, no managed code).
static async Task<double> BaselineStatAsync(string baseline, string mountPoint, List<string> paths)
{
    using Process server = Process.Start(new ProcessStartInfo(baseline, mountPoint) { RedirectStandardOutput = true })!;
    try
    {
        if (await server.StandardOutput.ReadLineAsync() != "READY")
        {
            throw new InvalidOperationException("the baseline server did not mount");
        }

        byte[][] encoded = paths.Select(p => NativeStat.Encode(Path.Combine(mountPoint, p))).ToArray();
        StatAll(encoded);
        return Best(() => StatAll(encoded));
    }
    finally
    {
        NativeStat.Umount2(mountPoint, 2);
        server.Kill();
    }
}

// Best of a few runs, in units per second.
static double Best(Func<double> run)
{
    run(); // warm up the JIT and caches
    return Enumerable.Range(0, Repetitions).Select(_ => run()).Max();
}

static double ReadAll(string path)
{
    var buffer = GC.AllocateUninitializedArray<byte>(1 << 20, pinned: true);
    using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(path, options: FileOptions.SequentialScan);
    var watch = Stopwatch.StartNew();
    long total = 0;
    int read;
    while ((read = RandomAccess.Read(handle, buffer, total)) > 0)
    {
        total += read;
    }

    if (total != FileSize)
    {
        throw new InvalidDataException($"read {total} bytes of {path}, expected {FileSize}");
    }

    return total / (1024.0 * 1024.0) / watch.Elapsed.TotalSeconds;
}

static double StatAll(byte[][] paths)
{
    var watch = Stopwatch.StartNew();
    NativeStat.StatAll(paths);
    return paths.Length / watch.Elapsed.TotalSeconds;
}

static void Check(int result, string what)
{
    if (result != 0)
    {
        throw new IOException($"{what} failed: errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()}");
    }
}
