using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport;

/// <summary>
/// Whether root-only tests can run here, and what happens when they cannot: skipped with the reason on a developer's
/// machine, failed when <c>CI</c> is set (scripts/test.sh sets <c>CI=1</c>), so a CI run that lost its root privileges
/// cannot pass by skipping everything that matters.
/// </summary>
public static class RootRequirement
{
    /// <summary>True when the effective user is root.</summary>
    public static bool IsRoot => LibC.GetEuid() == 0;

    /// <summary>True when <c>CI</c> is set to anything but empty, <c>0</c> or <c>false</c>.</summary>
    public static bool InCi => Environment.GetEnvironmentVariable("CI") is { Length: > 0 } value
        && value != "0" && !value.Equals("false", StringComparison.OrdinalIgnoreCase);

    /// <summary>Why a root-only test is skipped here; null when it runs or must fail instead.</summary>
    public static string? SkipReason => IsRoot || InCi ? null : "needs root: mounts overlayfs/tmpfs/FUSE and runs containerd";

    /// <summary>Why a root-only test fails here; null when it runs or is skipped instead.</summary>
    public static string? FailureReason => IsRoot || !InCi
        ? null
        : $"needs root (mounts overlayfs/tmpfs/FUSE, runs containerd) but runs as uid {LibC.GetEuid()}, and CI is set: root-only tests fail instead of skipping";
}
