using Microsoft.Extensions.Logging;
using Mono.Unix.Native;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>What the kernel's overlayfs needs from us on this machine, probed once at startup as containerd does.</summary>
/// <param name="IndexOff">Add <c>index=off</c>: the overlay module has an index feature that breaks when lower dirs are reused.</param>
/// <param name="UserXattr">Add <c>userxattr</c>: we run in a user namespace, where trusted.* xattrs are not available.</param>
internal sealed record OverlayFeatures(bool IndexOff, bool UserXattr)
{
    /// <summary>Checks that overlayfs works under <paramref name="root"/> and probes its options.</summary>
    /// <exception cref="InvalidOperationException">overlayfs is missing or the root filesystem does not report file types (d_type).</exception>
    public static OverlayFeatures Probe(string root, ILogger logger)
    {
        if (!File.ReadLines("/proc/filesystems").Any(line => line.EndsWith("\toverlay", StringComparison.Ordinal)))
        {
            throw new InvalidOperationException("overlayfs is not available (no 'overlay' in /proc/filesystems; modprobe overlay)");
        }
        if (!SupportsDType(root))
        {
            throw new InvalidOperationException($"the filesystem of {root} does not report file types (d_type), which overlayfs needs; use ext4 or xfs with ftype=1");
        }
        var indexOff = File.Exists("/sys/module/overlay/parameters/index");
        var userXattr = InUserNamespace() && ProbeUserXattr(root, logger);
        HostLog.OverlayOptions(logger, indexOff, userXattr);
        return new OverlayFeatures(indexOff, userXattr);
    }

    private static bool SupportsDType(string root)
    {
        var probe = CreateProbeDirectory(root, "d-type");
        try
        {
            File.WriteAllBytes(Path.Combine(probe, "f"), []);
            var dir = Syscall.opendir(probe);
            if (dir == IntPtr.Zero)
            {
                return false;
            }
            try
            {
                for (var entry = Syscall.readdir(dir); entry is not null; entry = Syscall.readdir(dir))
                {
                    if (entry.d_name == "f")
                    {
                        return entry.d_type != 0; // DT_UNKNOWN
                    }
                }
                return false;
            }
            finally
            {
                _ = Syscall.closedir(dir); // a probe: nothing to do when closing fails
            }
        }
        finally
        {
            Directory.Delete(probe, recursive: true);
        }
    }

    // Outside a user namespace the uid map is the identity over the whole range.
    private static bool InUserNamespace()
    {
        try
        {
            var map = File.ReadAllText("/proc/self/uid_map").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return !(map.Length == 3 && map[0] == "0" && map[1] == "0" && map[2] == "4294967295");
        }
        catch (IOException)
        {
            return false;
        }
    }

    // In a user namespace, overlay needs userxattr where the kernel supports it (5.11+): try a throwaway mount.
    private static bool ProbeUserXattr(string root, ILogger logger)
    {
        var probe = CreateProbeDirectory(root, "userxattr");
        try
        {
            foreach (var dir in new[] { "lower1", "lower2", "upper", "work", "merged" })
            {
                Directory.CreateDirectory(Path.Combine(probe, dir));
            }
            var options = $"lowerdir={probe}/lower2:{probe}/lower1,upperdir={probe}/upper,workdir={probe}/work,userxattr";
            if (LibC.mount("overlay", Path.Combine(probe, "merged"), "overlay", 0, options) != 0)
            {
                HostLog.UserXattrUnavailable(logger, System.Runtime.InteropServices.Marshal.GetLastPInvokeError());
                return false;
            }
            LibC.umount2(Path.Combine(probe, "merged"), 0);
            return true;
        }
        finally
        {
            Directory.Delete(probe, recursive: true);
        }
    }

    private static string CreateProbeDirectory(string root, string purpose) =>
        Directory.CreateDirectory(Path.Combine(root, $".probe-{purpose}-{Guid.NewGuid():N}")).FullName;
}
