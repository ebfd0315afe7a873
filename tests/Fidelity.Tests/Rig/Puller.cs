namespace PluggableSnapshotter.Fidelity.Tests.Rig;

/// <summary>
/// Who unpacks an image: containerd's own applier (overlayfs snapshotter, <c>ctr image pull</c>) or one of our backends
/// (our snapshotter, <c>ctr-remote image rpull</c>, the chain chosen by the repository the image was pushed to). Each pulls
/// in a containerd namespace of its own, so the same layer is unpacked once per puller.
/// </summary>
public sealed record Puller(string Name, string Snapshotter, string Repository, bool Remote)
{
    public static readonly Puller Containerd = new("containerd", "overlayfs", "fid/plain", Remote: false);
    public static readonly Puller Local = new("local", FidelityRig.Snapshotter, "fid/local", Remote: true);
    public static readonly Puller ParallelPull = new("parallel-pull", FidelityRig.Snapshotter, "fid/parallel", Remote: true);
    public static readonly Puller Soci = new("soci", FidelityRig.Snapshotter, "fid/soci", Remote: true);

    public static readonly IReadOnlyList<Puller> All = [Containerd, Local, ParallelPull, Soci];

    public static Puller ByName(string name) => All.Single(p => p.Name == name);

    public string Namespace => "fid-" + Name;
}
