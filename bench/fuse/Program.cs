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
int readahead = new FuseMountOptions().ReadaheadKilobytes;
string only = "all"; // read, stat or all
bool uring = true; // also measure FUSE over io_uring, turning fuse.enable_uring on for the run
int uringDepth = new FuseMountOptions().UringQueueDepth;
string? baseline = null; // the C baseline server (baseline.c), if built
for (int i = 0; i < args.Length; i++)
{
    string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    switch (args[i])
    {
        case "--workers": workers = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
        case "--baseline": baseline = Value(); break;
        case "--readahead": readahead = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
        case "--only": only = Value(); break;
        case "--no-uring": uring = false; break;
        case "--uring-depth": uringDepth = int.Parse(Value(), System.Globalization.CultureInfo.InvariantCulture); break;
        default: throw new ArgumentException($"unknown option {args[i]} (use --workers N, --readahead KB, --only read|stat, --no-uring, --uring-depth N, --baseline PATH)");
    }
}

// FUSE over io_uring is off by default in the kernel (fuse.enable_uring); switch it on for this run only.
const string UringParameter = "/sys/module/fuse/parameters/enable_uring";
string? uringBefore = uring && File.Exists(UringParameter) ? File.ReadAllText(UringParameter).Trim() : null;
uring = uringBefore is not null;
if (uring)
{
    File.WriteAllText(UringParameter, "Y");
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
    root.Add("big-copying.bin", new CopyingFile(content));
    root.Add("big-repeating.bin", new RepeatingFile(content[..(1 << 20)], FileSize));
    root.Add("big-passthrough.bin", new PassthroughFile(Path.Combine(tmpfs, "big.bin")));
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

    // Each row runs tmpfs and FUSE alternately, so both see the same machine load (the CI VM is shared).
    Func<double> tmpfsRead = () => ReadAll(Path.Combine(tmpfs, "big.bin"));
    // Read: no keep_cache, so each open starts cold and every byte crosses the FUSE connection.
    if (only is "all" or "read")
    {
        await using (FuseMount mount = await FuseMount.MountAsync(fuse, root, new FuseMountOptions { KeepCache = false, Workers = workers, ReadaheadKilobytes = readahead, Transport = FuseTransport.Device }, null, CancellationToken.None))
        {
            rows.Add(Row("sequential read 1 GiB, cold", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big.bin")), "MiB/s", 0.5));
            rows.Add(Row("  same through INodeReader (one more copy)", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big-copying.bin")), "MiB/s", 0));
            rows.Add(Row("  1 MiB block repeated (as the C baseline)", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big-repeating.bin")), "MiB/s", 0));
        }

        await using (FuseMount mount = await FuseMount.MountAsync(fuse, root, new FuseMountOptions { KeepCache = false, Workers = workers, Transport = FuseTransport.Device, Passthrough = true }, null, CancellationToken.None))
        {
            rows.Add(Row("cold read, passthrough to the tmpfs file", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big-passthrough.bin")), "MiB/s", 0));
        }

        if (uring)
        {
            await using FuseMount mount = await FuseMount.MountAsync(fuse, root, new FuseMountOptions { KeepCache = false, Workers = workers, ReadaheadKilobytes = readahead, Transport = FuseTransport.IoUring, UringQueueDepth = uringDepth }, null, CancellationToken.None);
            rows.Add(Row("cold read over io_uring (1 GiB array)", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big.bin")), "MiB/s", 0));
        }

        // For reference: with keep_cache (the default) a second open reads from the page cache.
        await using (FuseMount mount = await FuseMount.MountAsync(fuse, root, new FuseMountOptions { Workers = workers, Transport = FuseTransport.Device }, null, CancellationToken.None))
        {
            rows.Add(Row("sequential re-read 1 GiB, keep_cache", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big.bin")), "MiB/s", 0));
        }
    }

    byte[][] tmpfsPaths = paths.Select(p => NativeStat.Encode(Path.Combine(tmpfs, p))).ToArray();
    byte[][] fusePaths = paths.Select(p => NativeStat.Encode(Path.Combine(fuse, p))).ToArray();
    Func<double> tmpfsStat = () => StatAll(tmpfsPaths);
    var statCases = new List<(string Label, FuseMountOptions Options, double Target)>
    {
        ("stat, attr cache off, /dev/fuse", StatOptions(FuseTransport.Device, defaultPermissions: true), 0),
        ("  same, no default_permissions", StatOptions(FuseTransport.Device, defaultPermissions: false), 0),
        ("  same, entry cache off too", StatOptions(FuseTransport.Device, defaultPermissions: false) with { EntryTimeout = TimeSpan.Zero }, 0),
    };
    if (uring)
    {
        statCases.Add(("stat, attr cache off, io_uring", StatOptions(FuseTransport.IoUring, defaultPermissions: true), 0));
        statCases.Add(("  same, no default_permissions", StatOptions(FuseTransport.IoUring, defaultPermissions: false), 0.3));
    }

    foreach ((string label, FuseMountOptions options, double target) in only is "read" ? [] : statCases)
    {
        await using FuseMount mount = await FuseMount.MountAsync(fuse, root, options, null, CancellationToken.None);
        rows.Add(Row(label, tmpfsStat, () => StatAll(fusePaths), "stat/s", target));
    }

    if (baseline is not null && only is not "stat")
    {
        await using BaselineServer server = await BaselineServer.StartAsync(baseline, "--array", fuse);
        rows.Add(Row("C baseline, /dev/fuse: read from 1 GiB array", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big.bin")), "MiB/s", 0));
    }

    if (baseline is not null)
    {
        foreach (string mode in uring ? new[] { "", "--uring" } : [""])
        {
            foreach (string permissions in new[] { "", "--no-default-permissions" })
            {
                await using BaselineServer server = await BaselineServer.StartAsync(baseline, $"{mode} {permissions}".Trim(), fuse);
                string label = $"C baseline, {(mode == "" ? "/dev/fuse" : "io_uring")}{(permissions == "" ? "" : ", no default_perm.")}";
                if (mode == "" && permissions == "" && only is not "stat")
                {
                    rows.Add(Row($"{label}: read", tmpfsRead, () => ReadAll(Path.Combine(fuse, "big.bin")), "MiB/s", 0));
                }

                if (only is not "read")
                {
                    rows.Add(Row($"{label}: stat", tmpfsStat, () => StatAll(fusePaths), "stat/s", 0));
                }
            }
        }
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
    if (uringBefore is not null)
    {
        File.WriteAllText(UringParameter, uringBefore);
    }

    NativeStat.Umount2(fuse, 2);
    NativeStat.Umount2(tmpfs, 2);
    Directory.Delete(work, recursive: true);
}

// Best of a few alternating runs of tmpfs and FUSE, in units per second (the first of each warms up).
static (string, double, double, string, double) Row(string name, Func<double> tmpfsRun, Func<double> fuseRun, string unit, double target)
{
    double tmpfsBest = 0, fuseBest = 0;
    for (int i = 0; i <= Repetitions; i++)
    {
        double t = tmpfsRun();
        double f = fuseRun();
        if (i > 0)
        {
            tmpfsBest = Math.Max(tmpfsBest, t);
            fuseBest = Math.Max(fuseBest, f);
        }
    }

    return (name, tmpfsBest, fuseBest, unit, target);
}

FuseMountOptions StatOptions(FuseTransport transport, bool defaultPermissions) => new()
{
    AttributeTimeout = TimeSpan.Zero,
    EntryTimeout = TimeSpan.FromSeconds(60),
    Workers = workers,
    Transport = transport,
    DefaultPermissions = defaultPermissions,
};

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
