using System.Text.Json;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>
/// Two pull strategies side by side on one node (root only): plugins.yaml sends images under test/canary to a chain
/// [local] (the published plugin, loaded from its folder) and everything else to an empty chain (containerd pulls).
/// Each layer records which backend and chain made it, visible with <c>ctr snapshots info</c>.
/// </summary>
public sealed class ChainSelectionTests
{
    private const string Snapshotter = PullRig.Snapshotter;

    private static string PluginsYaml => $"""
        plugins:
          - name: local
            path: {Path.Combine(RepositoryPaths.Root, "out", "plugins", "local")}
        chains:
          - name: canary
            backends: [local]
            images: ["**/test/canary:*"]
          - name: plain
            backends: []
        default_chain: plain
        """;

    [RootOnlyFact]
    public async Task Rpull_ImageRuleChoosesChain_LayersLabelledWithBackendAndBothRun()
    {
        var ct = TestContext.Token;
        await using var rig = await PullRig.StartRegistryAsync("chains", ct);
        var canary = rig.Registry.Reference("test/canary", "v1");
        var plain = rig.Registry.Reference("test/plain", "v1");
        await (await TestImages.Busybox(rig.Directory.Combine("canary"), "canary\n").BuildAsync("v1", ct)).PushAsync(canary, ct);
        await (await TestImages.Busybox(rig.Directory.Combine("plain"), "plain\n").BuildAsync("v1", ct)).PushAsync(plain, ct);
        await rig.StartSnapshotterAsync(PluginsYaml, ct);
        var containerd = rig.Containerd;

        await containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", Snapshotter, canary], ct);
        await containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", Snapshotter, plain], ct);

        var labels = await CommittedLabelsAsync(containerd, ct);
        var made = labels.Where(l => l.GetValueOrDefault("containerd.io/snapshot/pluggable.backend") == "local").ToList();
        Assert.True(made.Count == 2, $"expected the canary image's 2 layers from the local backend:\n{string.Join('\n', labels.Select(l => string.Join(',', l)))}\n{rig.Describe()}");
        Assert.All(made, l => Assert.Equal("canary", l["containerd.io/snapshot/pluggable.chain"]));
        Assert.All(made, l => Assert.Equal("local", l["containerd.io/snapshot/pluggable.role"]));
        // The busybox layer is shared (one chain id); the plain image's own layer was applied by containerd.
        Assert.Single(labels, l => !l.ContainsKey("containerd.io/snapshot/pluggable.backend"));
        Assert.Equal(3, labels.Count);
        Assert.Equal("canary\n", await containerd.RunContainerAsync(canary, Snapshotter, ["cat", "/etc/message"], ct));
        Assert.Equal("plain\n", await containerd.RunContainerAsync(plain, Snapshotter, ["cat", "/etc/message"], ct));
    }

    // The labels of every committed snapshot, as `ctr snapshots info` shows them.
    private static async Task<List<Dictionary<string, string>>> CommittedLabelsAsync(ContainerdFixture containerd, CancellationToken ct)
    {
        var listing = await containerd.CtrAsync(["snapshots", "--snapshotter", Snapshotter, "ls"], ct);
        var result = new List<Dictionary<string, string>>();
        foreach (var line in listing.StandardOutput.Split('\n').Where(l => l.TrimEnd().EndsWith("Committed", StringComparison.Ordinal)))
        {
            var key = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
            var info = await containerd.CtrAsync(["snapshots", "--snapshotter", Snapshotter, "info", key], ct);
            using var json = JsonDocument.Parse(info.StandardOutput);
            var labels = json.RootElement.TryGetProperty("Labels", out var l)
                ? l.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "")
                : [];
            result.Add(labels);
        }
        return result;
    }
}
