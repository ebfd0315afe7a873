using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Processes;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// ctr-remote rpull through a real containerd 1.6 into our daemon with the chain [soci, local] (root only): indexed layers
/// are served lazily over FUSE, unindexed images are pulled by containerd, and a restart mounts the lazy layers again.
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class SociChainEndToEndTests(SociImages images)
{
    [RootOnlyFact]
    public async Task Rpull_ConvertedImage_LayersMountedLazilyOverFuseAndRootfsMatchesOverlayfs()
    {
        var ct = SociImages.Timeout;
        // No background fill here: this test checks what on-demand reads alone fetch.
        await using var node = await SociNode.StartAsync(images.Directory.Combine("lazy"), ct, "{ background_fill: { enable: false } }");
        var layers = await LayersOfAsync(images.Original, ct);
        var before = images.Registry.Log.Length;

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);

        // Lazy: every layer is a FUSE mount of the soci backend, and hardly any layer bytes came from the registry yet.
        var committed = await node.CommittedLabelsAsync(ct);
        Assert.Equal(layers.Count, committed.Count);
        foreach (var (name, labels) in committed)
        {
            Assert.True(labels.GetValueOrDefault(SnapshotLabels.BackendRole) == "lazy" && labels.GetValueOrDefault(SnapshotLabels.Backend) == "soci",
                $"snapshot {name}: {string.Join(", ", labels)}\n{node.Describe()}");
        }
        Assert.Equal(layers.Count, node.FuseMounts("soci").Count);
        var layerBytes = layers.Sum(l => l.Size);
        var served = RegistryTraffic.BlobBytes(images.Registry.Log[before..], [.. layers.Select(l => l.Digest)]);
        Assert.True(served < layerBytes / 2, $"the registry served {served} of {layerBytes} layer bytes before any file was read");
        var content = (await node.Containerd.CtrAsync(["content", "ls", "-q"], ct)).StandardOutput;
        Assert.DoesNotContain(layers, l => content.Contains(l.Digest, StringComparison.Ordinal));

        var output = await node.Containerd.RunContainerAsync(images.Converted, SociNode.Snapshotter, ["cat", "/data/opaque/visible", "/data/replaced"], ct);
        Assert.Equal("upper\nnew content, longer than before\n", output);

        var ours = await node.ListRootfsAsync(SociNode.Snapshotter, ct);
        // Reading every file fetched spans by range requests (which also shows the traffic count above counts).
        var servedAfterReading = RegistryTraffic.BlobBytes(images.Registry.Log[before..], [.. layers.Select(l => l.Digest)]);
        Assert.True(servedAfterReading > served, $"no layer bytes were served while the files were read ({served} before, {servedAfterReading} after)");

        await node.Containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", images.Original], ct);
        var theirs = await node.ListRootfsAsync("overlayfs", ct);
        var differences = RootfsListing.Compare(theirs, ours);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
        Assert.Contains(ours, e => e.Path == "/data/hardlink" && e.LinkCount == 2);
        Assert.Contains(ours, e => e.Path == "/data/with-xattr" && e.Xattrs.Contains("user.pluggable.test", StringComparison.Ordinal));
        Assert.DoesNotContain(ours, e => e.Path.StartsWith("/data/dir-to-delete", StringComparison.Ordinal));
    }

    [RootOnlyFact]
    public async Task SnapshotsDiff_ContainerOverLazyLayers_HoldsOnlyWhatItChanged()
    {
        var ct = SociImages.Timeout;
        // No background fill: the lowers stay FUSE mounts, whose unchanged files containerd's differ compares one by one
        // (xattrs included: anything but ENODATA for a missing one fails the diff, as a commit would).
        await using var node = await SociNode.StartAsync(images.Directory.Combine("diff"), ct, "{ background_fill: { enable: false } }");
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);
        var id = $"diff-{Guid.NewGuid():N}"[..16];

        await node.Containerd.CtrAsync(["run", "--snapshotter", SociNode.Snapshotter, "--runc-root", node.Containerd.RuncRoot, images.Converted, id,
            "sh", "-c", "echo changed > /data/replaced"], ct);
        // ctr writes the diff (a gzip tar) to its standard output.
        var diff = await ProcessRunner.RunAsync("bash", ["-c", "set -o pipefail; ctr --address \"$1\" -n \"$2\" snapshots --snapshotter \"$3\" diff \"$4\" | tar -tzv", "diff",
            node.Containerd.Address, node.Containerd.Namespace, SociNode.Snapshotter, id], ct);

        Assert.True(diff.ExitCode == 0, $"{diff}\n{node.Describe()}");
        var entries = diff.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(entries, e => e.EndsWith("data/replaced", StringComparison.Ordinal));
        Assert.DoesNotContain(entries, e => e.EndsWith("data/opaque/visible", StringComparison.Ordinal) || e.Contains("bin/", StringComparison.Ordinal));
        await node.Containerd.CtrAsync(["containers", "rm", id], ct);
    }

    [RootOnlyFact]
    public async Task Rpull_UnindexedImage_NoIndexSoContainerdPullsAndRuns()
    {
        var ct = SociImages.Timeout;
        await using var node = await SociNode.StartAsync(images.Directory.Combine("plain"), ct);
        var layers = await LayersOfAsync(images.Plain, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Plain], ct);

        Assert.Empty(node.FuseMounts("soci"));
        var committed = await node.CommittedLabelsAsync(ct);
        Assert.DoesNotContain(committed.Values, labels => labels.ContainsKey(SnapshotLabels.BackendRole));
        var content = (await node.Containerd.CtrAsync(["content", "ls", "-q"], ct)).StandardOutput;
        Assert.All(layers, l => Assert.Contains(l.Digest, content, StringComparison.Ordinal));
        var output = await node.Containerd.RunContainerAsync(images.Plain, SociNode.Snapshotter, [], ct);
        Assert.Equal(SociImages.PlainMessage, output);
    }

    [RootOnlyFact]
    public async Task DaemonRestart_LazyLayers_AreMountedAgainAndContainerRuns()
    {
        var ct = SociImages.Timeout;
        await using var node = await SociNode.StartAsync(images.Directory.Combine("restart"), ct);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);
        var mounted = node.FuseMounts("soci").Order(StringComparer.Ordinal).ToList();
        Assert.NotEmpty(mounted);
        var before = await node.ListRootfsAsync(SociNode.Snapshotter, ct);

        await node.Daemon.RestartAsync(ct);
        await node.WaitForProxyAsync(ct);

        Assert.Equal(mounted, node.FuseMounts("soci").Order(StringComparer.Ordinal));
        var differences = RootfsListing.Compare(before, await node.ListRootfsAsync(SociNode.Snapshotter, ct));
        Assert.True(differences.Count == 0, string.Join('\n', differences));
        var output = await node.Containerd.RunContainerAsync(images.Converted, SociNode.Snapshotter, ["cat", "/data/nested/deeper/file"], ct);
        Assert.Equal("deep\n", output);
        Assert.True(node.Daemon.IsRunning, node.Describe());
    }

    private static async Task<IReadOnlyList<Descriptor>> LayersOfAsync(string image, CancellationToken ct)
    {
        using var registry = new RegistryClient();
        return (await registry.ResolveAsync(ImageReference.Parse(image), null, ct)).Manifest.Layers;
    }
}
