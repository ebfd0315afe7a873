namespace PluggableSnapshotter.Registry.Hosts;

/// <summary>What an endpoint may be used for, as containerd's <c>hosts.toml</c> <c>capabilities</c> names it.</summary>
[Flags]
public enum HostCapabilities
{
    None = 0,
    /// <summary>Fetch blobs and manifests by digest.</summary>
    Pull = 1,
    /// <summary>Resolve tags to digests.</summary>
    Resolve = 2,
    /// <summary>Upload blobs and manifests.</summary>
    Push = 4,
    All = Pull | Resolve | Push,
}
