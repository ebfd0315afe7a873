using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>How a <see cref="BackendRole"/> is declared by backends and spelled in labels.</summary>
internal static class BackendRoles
{
    /// <summary>The capability a backend declares to play <paramref name="role"/>.</summary>
    public static BackendCapabilities Capability(this BackendRole role) => role switch
    {
        BackendRole.Lazy => BackendCapabilities.Lazy,
        BackendRole.Parallel => BackendCapabilities.Parallel,
        _ => BackendCapabilities.Local,
    };

    /// <summary>The value of <see cref="SnapshotLabels.BackendRole"/>: <c>lazy</c>, <c>parallel</c> or <c>local</c>.</summary>
    public static string Label(this BackendRole role) => role switch
    {
        BackendRole.Lazy => "lazy",
        BackendRole.Parallel => "parallel",
        _ => "local",
    };

    /// <summary>The role a label value names, or null.</summary>
    public static BackendRole? FromLabel(string? value) => value switch
    {
        "lazy" => BackendRole.Lazy,
        "parallel" => BackendRole.Parallel,
        "local" => BackendRole.Local,
        _ => null,
    };
}
