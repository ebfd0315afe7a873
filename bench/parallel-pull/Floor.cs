using System.Diagnostics;
using PluggableSnapshotter.Bench.Pull;

namespace PluggableSnapshotter.Bench.ParallelPull;

/// <summary>
/// The floor of a pull on this machine (issue 5): per layer, <c>gzip -dc</c> of its blob plus <c>tar -x</c> of its tar
/// into tmpfs, one after the other; the floor is the slowest layer's sum, as if every other layer were overlapped with it.
/// </summary>
internal static class Floor
{
    public static async Task<(TimeSpan Floor, TimeSpan Gunzip, TimeSpan Extract)> MeasureAsync(GeneratedImage image, string scratch, CancellationToken ct)
    {
        var slowest = (Total: TimeSpan.Zero, Gunzip: TimeSpan.Zero, Extract: TimeSpan.Zero);
        foreach (var layer in image.Layers)
        {
            var gunzip = await TimeAsync("sh", ["-c", $"gzip -dc '{layer.BlobPath}' > /dev/null"], ct);
            var target = Directory.CreateDirectory(Path.Combine(scratch, "floor")).FullName;
            var extract = await TimeAsync("tar", ["-xf", layer.TarPath, "-C", target], ct);
            Directory.Delete(target, recursive: true);
            if (gunzip + extract > slowest.Total) slowest = (gunzip + extract, gunzip, extract);
        }

        return (slowest.Total, slowest.Gunzip, slowest.Extract);
    }

    private static async Task<TimeSpan> TimeAsync(string file, string[] arguments, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(new ProcessStartInfo(file, arguments)) ?? throw new InvalidOperationException($"{file} did not start");
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}");
        return Stopwatch.GetElapsedTime(started);
    }
}
