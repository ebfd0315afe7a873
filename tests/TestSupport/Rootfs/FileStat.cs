using System.Diagnostics;
using System.Globalization;

namespace PluggableSnapshotter.TestSupport.Rootfs;

/// <summary>What <c>stat</c> says about a path (not following links).</summary>
public sealed record FileStat(string Type, string Mode, int Uid, int Gid, int Major, int Minor, long Inode, string ModifiedNanos, int Links)
{
    public static FileStat Of(string path)
    {
        var info = new ProcessStartInfo("stat", ["-c", "%F|%a|%u|%g|%t|%T|%i|%.9Y|%h", path]) { RedirectStandardOutput = true };
        using var process = Process.Start(info)!;
        var line = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        var f = line.Split('|');
        if (f.Length != 9) throw new InvalidOperationException($"stat {path}: {line}");
        return new FileStat(f[0], f[1], int.Parse(f[2], CultureInfo.InvariantCulture), int.Parse(f[3], CultureInfo.InvariantCulture),
            Convert.ToInt32(f[4], 16), Convert.ToInt32(f[5], 16), long.Parse(f[6], CultureInfo.InvariantCulture), f[7],
            int.Parse(f[8], CultureInfo.InvariantCulture));
    }
}
