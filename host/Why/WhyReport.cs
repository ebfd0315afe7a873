using System.Text;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Why;

/// <summary>The text of <c>why</c>: each layer, bottom first, with who made it and why the backends tried before did not.</summary>
internal static class WhyReport
{
    /// <summary>The report for an image reference or a snapshot key/name; null when nothing matches.</summary>
    public static string? For(string target, IReadOnlyList<SnapshotInfo> snapshots)
    {
        var byName = snapshots.ToDictionary(s => s.Name, StringComparer.Ordinal);
        if (byName.TryGetValue(target, out var snapshot))
        {
            return Describe($"snapshot {target}", [Ancestry(snapshot, byName)]);
        }
        // An image: the committed layers recorded with its reference; each top one (no other of them on it) with its parents,
        // which may have been recorded for another image that shares them.
        var layers = snapshots.Where(s => s.Kind == SnapshotKind.Committed && ImageOf(s) is { } image && SameImage(image, target)).ToList();
        if (layers.Count == 0)
        {
            return null;
        }
        var parents = layers.Select(l => l.Parent).ToHashSet(StringComparer.Ordinal);
        var tops = layers.Where(l => !parents.Contains(l.Name)).ToList();
        return Describe($"image {target}", tops.Select(top => Ancestry(top, byName)).ToList());
    }

    private static string Describe(string title, IReadOnlyList<IReadOnlyList<SnapshotInfo>> chains)
    {
        var text = new StringBuilder().AppendLine(title);
        foreach (var chain in chains)
        {
            for (var i = 0; i < chain.Count; i++)
            {
                AppendLayer(text, i + 1, chain[i]);
            }
        }
        return text.ToString();
    }

    private static void AppendLayer(StringBuilder text, int number, SnapshotInfo layer)
    {
        var labels = layer.Labels;
        var digest = labels.GetValueOrDefault(HostLabels.Layer) ?? LayerDigestOf(labels) ?? "(layer digest not recorded)";
        text.AppendLine($"layer {number}: {digest}  snapshot {layer.Name}{(layer.Kind == SnapshotKind.Committed ? "" : $" ({layer.Kind.ToString().ToLowerInvariant()})")}");
        if (!labels.TryGetValue(HostLabels.Why, out var why))
        {
            text.AppendLine(labels.TryGetValue(SnapshotLabels.Backend, out var backend)
                ? $"  prepared by {backend} ({labels.GetValueOrDefault(SnapshotLabels.BackendRole)}); no record of earlier backends"
                : "  not prepared through a chain (no record: a plain Prepare, or made before the daemon recorded why)");
            return;
        }
        var chain = labels.GetValueOrDefault(SnapshotLabels.Chain, "?");
        var (attempts, deferReason) = WhyLabel.Parse(why);
        foreach (var attempt in attempts)
        {
            text.AppendLine(attempt.Verdict == AttemptVerdict.Prepared
                ? $"  prepared by {attempt.Backend} ({attempt.Role.Label()}) in chain {chain}"
                : $"  {attempt.Backend} ({attempt.Role.Label()}): {WhyLabel.Describe(attempt.Verdict)}{(attempt.Reason is { } reason ? ": " + reason : "")}");
        }
        if (deferReason is not null)
        {
            text.AppendLine($"  containerd {(layer.Kind == SnapshotKind.Committed ? "applied" : "applies")} it (chain {chain}): {deferReason}");
        }
    }

    private static IReadOnlyList<SnapshotInfo> Ancestry(SnapshotInfo top, Dictionary<string, SnapshotInfo> byName)
    {
        var chain = new List<SnapshotInfo>();
        for (SnapshotInfo? at = top; at is not null; at = at.Parent.Length > 0 ? byName.GetValueOrDefault(at.Parent) : null)
        {
            chain.Add(at);
        }
        chain.Reverse();
        return chain;
    }

    private static string? ImageOf(SnapshotInfo snapshot) =>
        snapshot.Labels.GetValueOrDefault(HostLabels.Image) ?? Request(snapshot.Labels).ImageReference;

    private static string? LayerDigestOf(IReadOnlyDictionary<string, string> labels) => Request(labels).LayerDigest;

    private static LayerRequest Request(IReadOnlyDictionary<string, string> labels) =>
        new() { Mountpoint = "", Key = "", Namespace = "", Labels = labels };

    // Pulled as "registry/repo:tag", asked for the same or without the registry ("repo:tag").
    private static bool SameImage(string recorded, string asked) =>
        recorded == asked || recorded.EndsWith("/" + asked, StringComparison.Ordinal);
}
