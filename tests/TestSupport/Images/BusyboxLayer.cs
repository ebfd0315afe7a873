using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Images;

/// <summary>
/// A minimal root filesystem from Debian's busybox-static: /bin/busybox, a symlink per
/// applet, /etc/passwd and /etc/group, and the directories runc expects.
/// </summary>
public static class BusyboxLayer
{
    /// <summary>Where busybox-static installs its binary.</summary>
    public const string BusyboxBinary = "/bin/busybox";

    /// <summary>Adds the busybox root filesystem to <paramref name="layer"/>.</summary>
    public static async Task<LayerBuilder> AddToAsync(LayerBuilder layer, CancellationToken cancellationToken)
    {
        var applets = await ProcessRunner.RunCheckedAsync(BusyboxBinary, ["--list"], cancellationToken);
        foreach (var dir in new[] { "/bin", "/dev", "/etc", "/proc", "/root", "/sys", "/usr", "/usr/bin", "/var" })
        {
            layer.Directory(dir);
        }
        layer.Directory("/tmp", Modes.StickyWorldWritable);
        layer.File("/bin/busybox", await File.ReadAllBytesAsync(BusyboxBinary, cancellationToken), Modes.Executable);
        foreach (var applet in applets.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (applet != "busybox" && !applet.Contains('/', StringComparison.Ordinal))
            {
                layer.Symlink("/bin/" + applet, "busybox");
            }
        }
        layer.File("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n");
        layer.File("/etc/group", "root:x:0:\nnogroup:x:65534:\n");
        return layer;
    }
}
