using Xunit;
using Xunit.Sdk;

namespace PluggableSnapshotter.TestSupport;

/// <summary>
/// A fact that needs root (mounts, FUSE, containerd, runc). When the test process is not root it is skipped, saying
/// why, or, when <c>CI</c> is set, fails (<see cref="RootRequirement"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("PluggableSnapshotter.TestSupport.RootOnlyFactDiscoverer", "PluggableSnapshotter.TestSupport")]
public sealed class RootOnlyFactAttribute : FactAttribute
{
    /// <summary>Marks the test root-only; sets <see cref="FactAttribute.Skip"/> when it cannot run and may skip.</summary>
    public RootOnlyFactAttribute()
    {
        if (RootRequirement.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }

    /// <summary>True when the effective user is root.</summary>
    public static bool IsRoot => RootRequirement.IsRoot;
}
