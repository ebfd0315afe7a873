using System.Globalization;

namespace PluggableSnapshotter.Bench.ParallelPull;

/// <summary>
/// CPU seconds (user + system, including reaped children such as unpigz) of the processes that do a pull: this process's
/// children (ctr, ctr-remote), and the containerd and snapshotter daemons found by a marker in their command lines.
/// </summary>
internal static class CpuClock
{
    private const double TicksPerSecond = 100.0; // USER_HZ on Linux

    /// <summary>CPU seconds so far of this process's reaped children and of every process whose command line contains a marker.</summary>
    public static double Seconds(IReadOnlyList<string> markers)
    {
        var total = ChildrenOfSelf();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out _)) continue;
            string commandLine;
            try
            {
                commandLine = File.ReadAllText(Path.Combine(directory, "cmdline")).Replace('\0', ' ');
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (markers.Any(m => commandLine.Contains(m, StringComparison.Ordinal))) total += Own(directory) + Children(directory);
        }

        return total;
    }

    private static double ChildrenOfSelf() => Children("/proc/self");

    private static double Own(string procDirectory) => Fields(procDirectory) is { } f ? (f[11] + f[12]) / TicksPerSecond : 0;

    private static double Children(string procDirectory) => Fields(procDirectory) is { } f ? (f[13] + f[14]) / TicksPerSecond : 0;

    // /proc/<pid>/stat after the ")" that ends the command name: field 3 (state) is index 0, so utime (14) is index 11.
    private static long[]? Fields(string procDirectory)
    {
        try
        {
            var stat = File.ReadAllText(Path.Combine(procDirectory, "stat"));
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return [.. rest.Select(v => long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : 0)];
        }
        catch (IOException)
        {
            return null;
        }
    }
}
