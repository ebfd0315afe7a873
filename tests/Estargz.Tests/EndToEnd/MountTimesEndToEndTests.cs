using System.Text.RegularExpressions;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>
/// The per-mount timing line (root only: containerd and FUSE): estargz logs soci's form (lib/LazyLayers' MountTimes), so
/// the two backends' Prepares compare phase by phase from one daemon log.
/// </summary>
[Collection(EstargzImagesCollection.Name)]
public sealed partial class MountTimesEndToEndTests(EstargzImages images)
{
    [RootOnlyFact]
    public async Task Rpull_SociAndEstargzImages_EveryLayerLogsTheSameTimingLineShape()
    {
        var ct = EstargzImages.Timeout;
        await using var node = await EstargzNode.StartAsync(images.Directory.Combine("mount-times"), ct, "{ background_fill: { enable: false } }");

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Soci], ct);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", EstargzNode.Snapshotter, images.Estargz], ct);

        var lines = node.Daemon.Log.Split('\n').Select(l => TimingLine().Match(l)).Where(m => m.Success)
            .ToLookup(m => m.Groups["event"].Value, m => m.Groups["digest"].Value);
        foreach (var (image, eventId) in new[] { (images.Soci, "3009"), (images.Estargz, "3113") })
        {
            foreach (var layer in await LayerDigestsAsync(image, ct))
            {
                Assert.True(lines[eventId].Contains(layer), $"no timing line [{eventId}] for layer {layer}\n{node.Describe()}");
            }
        }
    }

    private static async Task<IEnumerable<string>> LayerDigestsAsync(string image, CancellationToken ct)
    {
        using var registry = new RegistryClient();
        return (await registry.ResolveAsync(ImageReference.Parse(image), null, ct)).Manifest.Layers.Select(l => l.Digest);
    }

    /// <summary>The timing line, same phases in both backends: discovery, the index (zTOC or TOC), tree, any format phase, FUSE mount with its own phases, store, JIT.</summary>
    [GeneratedRegex(@"\[(?<event>3009|3113)\] Mounted layer (?<digest>sha256:[0-9a-f]{64}) in \d+ ms: discovery \d+ ms, z?TOC \d+ ms \((?:prefetched|fetched)\), tree \d+ ms, (?:[a-z ]+ \d+ ms, )?FUSE mount \d+ ms \(numbering [^)]*\), store \d+ ms; jit \d+ methods in \d+ ms")]
    private static partial Regex TimingLine();
}
