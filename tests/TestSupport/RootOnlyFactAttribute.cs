using PluggableSnapshotter.TestSupport.Processes;
using Xunit;

namespace PluggableSnapshotter.TestSupport;

/// <summary>
/// A fact that needs root (mounts, containerd, runc). It is skipped, saying why, when
/// the test process is not root.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootOnlyFactAttribute : FactAttribute
{
    /// <summary>Marks the test root-only; sets <see cref="FactAttribute.Skip"/> when not root.</summary>
    public RootOnlyFactAttribute()
    {
        if (!IsRoot)
        {
            Skip = "needs root: mounts overlayfs/tmpfs and runs containerd";
        }
    }

    /// <summary>True when the effective user is root.</summary>
    public static bool IsRoot => LibC.GetEuid() == 0;
}
