namespace PluggableSnapshotter.Sdk;

/// <summary>One mount as containerd receives it from a snapshotter (containerd.types.Mount).</summary>
/// <param name="Type">The filesystem type, such as <c>overlay</c> or <c>bind</c>.</param>
/// <param name="Source">The source (a directory for bind, <c>overlay</c> for overlay).</param>
/// <param name="Options">The mount options, such as <c>lowerdir=…</c> or <c>rbind</c>.</param>
public sealed record MountSpec(string Type, string Source, IReadOnlyList<string> Options)
{
    /// <summary>The mount target, when the mount is not made at the caller's root (empty for snapshotter mounts).</summary>
    public string Target { get; init; } = "";
}
