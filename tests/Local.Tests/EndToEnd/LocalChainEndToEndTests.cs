using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.Plugins.Local.Tests.EndToEnd;

/// <summary>
/// ctr-remote rpull through real containerd 1.6 with a chain that is only the local backend (root only):
/// our daemon fetches, verifies and unpacks every layer; the result must equal containerd's own overlayfs pull.
/// </summary>
public sealed class LocalChainEndToEndTests(LocalChainEnvironment env) : IClassFixture<LocalChainEnvironment>
{
    [RootOnlyFact]
    public async Task CtrRemoteRpull_LocalChain_DaemonUnpacksEveryLayerAndRootfsMatchesOverlayfs()
    {
        var ct = LocalChainEnvironment.Timeout;
        var snapshotter = LocalChainEnvironment.Snapshotter;
        await env.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", snapshotter, env.LayeredImage], ct);

        // Every layer was committed through our daemon: containerd never downloaded a layer blob.
        using var registry = new RegistryClient();
        var resolved = await registry.ResolveAsync(ImageReference.Parse(env.LayeredImage), null, ct);
        var content = (await env.Containerd.CtrAsync(["content", "ls", "-q"], ct)).StandardOutput;
        foreach (var layer in resolved.Manifest.Layers)
            Assert.False(content.Contains(layer.Digest, StringComparison.Ordinal), $"containerd's content store holds layer {layer.Digest}\n{env.Describe()}");

        var output = await env.Containerd.RunContainerAsync(env.LayeredImage, snapshotter, ["cat", "/data/opaque/visible", "/data/replaced"], ct);
        Assert.Equal("upper\nnew content, longer than before\n", output);

        await env.Containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", env.LayeredImage], ct);
        var ours = await ListAsync(snapshotter, "ours", ct);
        var theirs = await ListAsync("overlayfs", "theirs", ct);
        var differences = RootfsListing.Compare(theirs, ours);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
        Assert.Contains(ours, e => e.Path == "/data/hardlink" && e.LinkCount == 2);
        Assert.Contains(ours, e => e.Path == "/data/null" && e.Type == "char");
        Assert.DoesNotContain(ours, e => e.Path.StartsWith("/data/dir-to-delete", StringComparison.Ordinal));
    }

    [RootOnlyFact]
    public async Task CriPullImage_LocalChain_DaemonUnpacksFromCriLabelsAndRootfsMatchesOverlayfs()
    {
        var ct = LocalChainEnvironment.Timeout;
        // Its own daemon: containerd's garbage collection removes snapshots it does not know, so two containerds must not share one.
        var work = System.IO.Directory.CreateDirectory(env.Directory.Combine("cri-work")).FullName;
        await using var daemon = await LocalChainEnvironment.StartDaemonAsync(work, ct);
        await using var cri = await CriContainerd.StartAsync(work, daemon.Socket, env.RegistryHost, ct);
        await WaitForCriProxyAsync(cri, ct);

        await cri.PullImageAsync(env.LayeredImage, ct);

        using var registry = new RegistryClient();
        var resolved = await registry.ResolveAsync(ImageReference.Parse(env.LayeredImage), null, ct);
        var content = (await cri.CtrAsync(["content", "ls", "-q"], ct)).StandardOutput;
        foreach (var layer in resolved.Manifest.Layers)
            Assert.False(content.Contains(layer.Digest, StringComparison.Ordinal), $"CRI's content store holds layer {layer.Digest}\n{cri.Describe()}");
        var ours = await ListAsync(cri.CtrAsync, LocalChainEnvironment.Snapshotter, "cri-ours", ct);

        await cri.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", env.LayeredImage], ct);
        var theirs = await ListAsync(cri.CtrAsync, "overlayfs", "cri-theirs", ct);
        var differences = RootfsListing.Compare(theirs, ours);
        Assert.True(differences.Count == 0, string.Join('\n', differences));
    }

    private static async Task WaitForCriProxyAsync(CriContainerd cri, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await cri.CtrAsync(["snapshots", "--snapshotter", LocalChainEnvironment.Snapshotter, "ls"], ct);
                return;
            }
            catch (InvalidOperationException) when (attempt < 20)
            {
                await Task.Delay(250, ct);
            }
        }
    }

    private Task<IReadOnlyList<RootfsEntry>> ListAsync(string snapshotter, string name, CancellationToken ct) =>
        ListAsync(env.Containerd.CtrAsync, snapshotter, name, ct);

    /// <summary>
    /// Lists the image's root filesystem as <paramref name="snapshotter"/> holds it: a view of the top layer's chain ID,
    /// mounted with the mounts the snapshotter gives. (ctr 1.6's <c>images mount</c> ignores its --snapshotter flag.)
    /// </summary>
    private async Task<IReadOnlyList<RootfsEntry>> ListAsync(
        Func<IEnumerable<string>, CancellationToken, Task<TestSupport.Processes.ProcessResult>> ctr, string snapshotter, string name, CancellationToken ct)
    {
        using var registry = new RegistryClient();
        var reference = ImageReference.Parse(env.LayeredImage);
        var resolved = await registry.ResolveAsync(reference, null, ct);
        var config = await registry.GetConfigAsync(reference, resolved.Manifest.Config, ct);
        var chainId = config.RootFs!.DiffIds.Aggregate((parent, diffId) =>
            "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(parent + " " + diffId))));
        var target = System.IO.Directory.CreateDirectory(env.Directory.Combine("mount-" + name)).FullName;
        var key = "view-" + name;
        try
        {
            // One command makes the view and prints its mounts (see PrintedMount): a second command found it collected.
            var view = await ctr(["snapshots", "--snapshotter", snapshotter, "view", "--mounts", key, chainId], ct);
            await TestSupport.Snapshotter.PrintedMount.Parse(view.StandardOutput).MountAtAsync(target, ct);
            try
            {
                return RootfsListing.Capture(target);
            }
            finally
            {
                await TestSupport.Processes.ProcessRunner.RunCheckedAsync("umount", [target], ct);
            }
        }
        finally
        {
            try
            {
                await ctr(["snapshots", "--snapshotter", snapshotter, "rm", key], ct);
            }
            catch (InvalidOperationException e) when (e.Message.Contains("not found", StringComparison.Ordinal))
            {
                // ctr holds a lease only while its command runs: containerd's garbage collector may take the view first.
            }
        }
    }
}
