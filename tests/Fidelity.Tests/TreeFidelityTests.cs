using System.Text.RegularExpressions;
using PluggableSnapshotter.Fidelity.Tests.Listing;
using PluggableSnapshotter.Fidelity.Tests.Rig;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fidelity.Tests;

/// <summary>
/// Issue 11: every corpus form (GNU tar pax/gnu/ustar/sparse, Python tarfile, busybox tar, Go archive/tar through umoci)
/// unpacked by [local], [parallel-pull] and [soci] (lazily, every byte read through FUSE) gives the same tree as
/// containerd's own applier: bytes, modes, owners, nanosecond mtimes, link counts, link targets, devices and every xattr's
/// exact bytes, names compared as raw bytes. Whiteouts and opaque directories are compared twice: in the merged view of a
/// two-layer image and in the upper layer's own snapshot directory. Root only; needs scripts/build.sh's out/.
/// </summary>
public sealed partial class TreeFidelityTests(FidelityRig rig) : IClassFixture<FidelityRig>
{
    public static TheoryData<string, string> FormsByBackend()
    {
        var data = new TheoryData<string, string>();
        foreach (var backend in new[] { Puller.Local, Puller.ParallelPull, Puller.Soci })
        foreach (var form in FidelityRig.Forms.Where(f => backend != Puller.Soci || !FidelityRig.ZtocRefusals.ContainsKey(f)))
            data.Add(backend.Name, form);
        return data;
    }

    public static TheoryData<string> FormsZtocsCannotServe => [.. FidelityRig.ZtocRefusals.Keys];

    public static TheoryData<string> Backends => [Puller.Local.Name, Puller.ParallelPull.Name, Puller.Soci.Name];

    [RootOnlyTheory]
    [MemberData(nameof(FormsByBackend))]
    public async Task Pull_CorpusForm_LayerTreeMatchesContainerdsApplier(string backend, string form)
    {
        var ct = FidelityRig.Timeout;
        var theirs = await rig.ListTopLayerAsync(Puller.Containerd, form, ct);
        var ours = await rig.ListTopLayerAsync(Puller.ByName(backend), form, ct);

        var differences = ListingDiff.Compare(Comparable(theirs), Comparable(ours));
        Assert.True(differences.Count == 0, ListingDiff.Show(differences));
        Assert.True(theirs.Count >= 4, $"containerd's tree of {form} is nearly empty:\n{string.Join('\n', theirs)}");
    }

    [RootOnlyTheory]
    [MemberData(nameof(FormsZtocsCannotServe))]
    public void Convert_FormZtocCannotServe_PsociRefusesSayingWhy(string form)
    {
        var error = rig.ConversionError(form);

        Assert.NotNull(error);
        Assert.True(error.Contains(FidelityRig.ZtocRefusals[form], StringComparison.Ordinal), $"psoci's error does not say \"{FidelityRig.ZtocRefusals[form]}\": {error}");
    }

    [RootOnlyTheory]
    [MemberData(nameof(Backends))]
    public async Task Pull_WhiteoutLayerOverFullTree_MergedViewMatchesContainerds(string backend)
    {
        var ct = FidelityRig.Timeout;
        var theirs = await rig.ListMergedAsync(Puller.Containerd, FidelityRig.Whiteouts, ct);
        var ours = await rig.ListMergedAsync(Puller.ByName(backend), FidelityRig.Whiteouts, ct);

        var differences = ListingDiff.Compare(Comparable(theirs), Comparable(ours));
        Assert.True(differences.Count == 0, ListingDiff.Show(differences));
        Assert.DoesNotContain(theirs, l => l.StartsWith("plain.txt ", StringComparison.Ordinal) || l.StartsWith("dir/data.bin ", StringComparison.Ordinal));
        Assert.Contains(theirs, l => l.StartsWith("dir/fresh ", StringComparison.Ordinal));
    }

    [RootOnlyTheory]
    [MemberData(nameof(Backends))]
    public async Task Pull_WhiteoutLayerOverFullTree_UpperSnapshotDirectoryMatchesContainerds(string backend)
    {
        var ct = FidelityRig.Timeout;
        var theirs = await rig.ListTopLayerAsync(Puller.Containerd, FidelityRig.Whiteouts, ct);
        var ours = await rig.ListTopLayerAsync(Puller.ByName(backend), FidelityRig.Whiteouts, ct);

        var differences = ListingDiff.Compare(Comparable(theirs), Comparable(ours));
        Assert.True(differences.Count == 0, ListingDiff.Show(differences));
        Assert.Contains(theirs, l => l.StartsWith("plain.txt char ", StringComparison.Ordinal) && l.Contains(" dev=0,0", StringComparison.Ordinal));
        Assert.Contains(theirs, l => l.StartsWith("dir dir ", StringComparison.Ordinal) && l.Contains("xattr:trusted.overlay.opaque=79", StringComparison.Ordinal));
    }

    // What two correct appliers may still disagree on, masked: the times of the layer root (containerd skips the "./"
    // entry, so the root's mtime is when the applier last wrote into it) and of whiteout devices (made by mknod, times
    // never set: archive.OverlayConvertWhiteout), and each puller's own marker file (Corpus/make-fidelity-layers.sh).
    // Every other mtime is compared to the nanosecond, for the lazy backend too (FUSE attributes carry nanoseconds).
    private static List<string> Comparable(IReadOnlyList<string> listing) =>
    [
        .. listing.Where(l => !l.StartsWith(".fidelity-", StringComparison.Ordinal))
            .Select(l => l.StartsWith(". dir ", StringComparison.Ordinal) || (l.Contains(" char mode=0000 ", StringComparison.Ordinal) && l.EndsWith(" dev=0,0", StringComparison.Ordinal))
                ? MtimeField().Replace(l, " mtime=*")
                : l),
    ];

    [GeneratedRegex(@" mtime=\d+\.\d+")]
    private static partial Regex MtimeField();
}
