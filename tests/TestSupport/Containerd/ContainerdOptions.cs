namespace PluggableSnapshotter.TestSupport.Containerd;

/// <summary>How to start a <see cref="ContainerdFixture"/>.</summary>
public sealed record ContainerdOptions
{
    /// <summary>Proxy snapshotters by name (what <c>--snapshotter</c> selects) and their unix sockets.</summary>
    public IReadOnlyDictionary<string, string> ProxySnapshotters { get; init; } = new Dictionary<string, string>();

    /// <summary>The namespace ctr uses; a fresh one per fixture by default.</summary>
    public string Namespace { get; init; } = $"psnap-{Guid.NewGuid():N}"[..18];

    /// <summary>
    /// A directory (ideally on tmpfs) for root, state and sockets; when null, the fixture
    /// creates and disposes its own tmpfs.
    /// </summary>
    public string? WorkDirectory { get; init; }

    /// <summary>The containerd binary; Debian's containerd 1.6 by default.</summary>
    public string Binary { get; init; } = "/usr/bin/containerd";
}
