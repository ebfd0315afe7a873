using System.Diagnostics;
using System.Globalization;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

// Usage: ztoc-bench [layer.tar.gz ...]
// Without arguments it makes a gzip layer from ~300 MB of files (no hard links) under /usr/lib/x86_64-linux-gnu on /dev/shm.
// For each layer and span size it prints: zTOC build MB/s of compressed layer, `gzip -dc > /dev/null` MB/s of
// the same file in the same run, and the zTOC size as a fraction of the layer.
var layers = args.Length > 0 ? args.ToList() : [MakeDefaultLayer()];
long[] spans = [ZtocBuildOptions.DefaultSpanSize, 1L << 20, 64 * 1024];
Console.WriteLine("layer\tcompressed MB\tspan\tztoc MB/s\tgzip -dc MB/s\tratio\tztoc MB/s (CPU)\tgzip -dc MB/s (CPU)\tztoc bytes\tztoc/layer");
foreach (string layer in layers)
{
    double mb = new FileInfo(layer).Length / 1e6;
    double gzipSeconds = Median(3, () => Run("/bin/sh", "-c", $"gzip -dc '{layer}' > /dev/null"));
    double gzipCpu = Median(3, () => CpuSeconds($"gzip -dc '{layer}' > /dev/null"));
    foreach (long span in spans)
    {
        byte[]? ztoc = null;
        double buildCpu = 0;
        double buildSeconds = await MedianAsync(3, async () =>
        {
            var sw = Stopwatch.StartNew();
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            using FileStream f = new(layer, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            Ztoc z = await ZtocBuilder.BuildAsync(f, LayerCompression.Gzip, new ZtocBuildOptions { SpanSize = span }, CancellationToken.None);
            ztoc = ZtocSerializer.Serialize(z);
            buildCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            return sw.Elapsed.TotalSeconds;
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(layer)}\t{mb:F1}\t{span}\t{mb / buildSeconds:F1}\t{mb / gzipSeconds:F1}\t{gzipSeconds / buildSeconds:F2}\t{mb / buildCpu:F1}\t{mb / gzipCpu:F1}\t{ztoc!.Length}\t{ztoc.Length / (mb * 1e6):P3}"));
    }
}

static double Median(int runs, Func<double> run)
{
    var times = Enumerable.Range(0, runs).Select(_ => run()).Order().ToList();
    return times[runs / 2];
}

static async Task<double> MedianAsync(int runs, Func<Task<double>> run)
{
    var times = new List<double>();
    for (int i = 0; i < runs; i++)
    {
        times.Add(await run());
    }
    return times.Order().ElementAt(runs / 2);
}

static double Run(string file, params string[] arguments)
{
    var sw = Stopwatch.StartNew();
    using Process p = Process.Start(new ProcessStartInfo(file, arguments)) ?? throw new InvalidOperationException(file);
    p.WaitForExit();
    if (p.ExitCode != 0)
    {
        throw new InvalidOperationException($"{file} exited {p.ExitCode}");
    }
    return sw.Elapsed.TotalSeconds;
}

// CPU seconds (user + system) of a shell command, from bash's `time`: on a shared, loaded machine this is the
// steadier comparison; wall-clock figures are printed too.
static double CpuSeconds(string script)
{
    var start = new ProcessStartInfo("/bin/bash", ["-c", $"TIMEFORMAT='%3U %3S'; time ( {script} )"]) { RedirectStandardError = true };
    using Process p = Process.Start(start) ?? throw new InvalidOperationException("bash");
    string[] times = p.StandardError.ReadToEnd().Trim().Split('\n')[^1].Split(' ');
    p.WaitForExit();
    return double.Parse(times[0], CultureInfo.InvariantCulture) + double.Parse(times[1], CultureInfo.InvariantCulture);
}

static string MakeDefaultLayer()
{
    string dir = Directory.CreateDirectory("/dev/shm/ztoc-bench").FullName;
    string layer = Path.Combine(dir, "usr-lib.tar.gz");
    if (!File.Exists(layer))
    {
        Console.Error.WriteLine($"making {layer} (one time)...");
        Run("/bin/sh", "-c",
            "find /usr/lib/x86_64-linux-gnu -type f -links 1 -printf '%s %p\\n' | sort -k2 | awk '$1 < 50000000 {s+=$1; if (s>300000000) exit; print $2}' > " +
            $"'{dir}/files' && tar -cf - -T '{dir}/files' 2>/dev/null | gzip -n -6 > '{layer}.tmp' && mv '{layer}.tmp' '{layer}'");
    }
    return layer;
}
