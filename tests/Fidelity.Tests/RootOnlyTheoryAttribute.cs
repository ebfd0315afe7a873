using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fidelity.Tests;

/// <summary>A theory that needs root (mounts, containerd); skipped, saying why, otherwise.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RootOnlyTheoryAttribute : TheoryAttribute
{
    public RootOnlyTheoryAttribute()
    {
        if (!RootOnlyFactAttribute.IsRoot) Skip = "needs root: mounts overlayfs/tmpfs, FUSE and runs containerd";
    }
}
