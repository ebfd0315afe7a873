using Xunit;
using Xunit.Sdk;

namespace PluggableSnapshotter.TestSupport;

/// <summary>A theory that needs root: skipped or, when <c>CI</c> is set, failed where it cannot run (<see cref="RootRequirement"/>).</summary>
[AttributeUsage(AttributeTargets.Method)]
[XunitTestCaseDiscoverer("PluggableSnapshotter.TestSupport.RootOnlyTheoryDiscoverer", "PluggableSnapshotter.TestSupport")]
public sealed class RootOnlyTheoryAttribute : TheoryAttribute
{
    /// <summary>Marks the theory root-only; sets <see cref="FactAttribute.Skip"/> when it cannot run and may skip.</summary>
    public RootOnlyTheoryAttribute()
    {
        if (RootRequirement.SkipReason is { } reason)
        {
            Skip = reason;
        }
    }
}
