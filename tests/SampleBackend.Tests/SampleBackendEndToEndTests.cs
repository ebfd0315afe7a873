using System.Text.Json;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Processes;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.SampleBackend.Tests;

/// <summary>
/// The sample backend (samples/TarballDirectory), built by samples/build.sh against the SDK package only and published to a
/// folder, is named in plugins.yaml and loaded by the published host with no rebuild of the host; `ctr-remote image rpull`
/// through containerd 1.6 then has it unpack the layers whose blobs its directory holds (the base layer and the top layer
/// with whiteouts and an opaque directory) while the one it lacks is deferred to containerd; the container runs and the
/// root filesystem is the one containerd's own overlayfs snapshotter makes. Root only.
/// </summary>
public sealed class SampleBackendEndToEndTests
{
    private const string PluginName = "tarball-directory";

    [RootOnlyFact]
    public async Task Rpull_SampleBackendFromPluginsYaml_UnpacksHeldLayersDefersTheRestAndRootfsMatchesOverlayfs()
    {
        var ct = new CancellationTokenSource(TimeSpan.FromMinutes(15)).Token;
        var published = Path.Combine(RepositoryPaths.Root, "out", "samples", PluginName);
        await ProcessRunner.RunCheckedAsync(Path.Combine(RepositoryPaths.Root, "samples", "build.sh"), ["--no-test"], ct);
        Assert.False(File.Exists(Path.Combine(published, "PluggableSnapshotter.Sdk.dll")), "the plugin folder must not ship the SDK: the host supplies it");

        await using var rig = await PullRig.StartRegistryAsync("sample-backend", ct);
        var image = await TestImages.Layered(rig.Directory.Combine("image")).BuildAsync("v1", ct);
        var reference = rig.Registry.Reference("sample/layered", "v1");
        await image.PushAsync(reference, ct);
        var layers = LayerDigests(image);
        Assert.Equal(3, layers.Count);
        var blobs = Directory.CreateDirectory(rig.Directory.Combine("blobs")).FullName;
        foreach (var held in new[] { layers[0], layers[2] })
            File.Copy(Path.Combine(image.LayoutPath, "blobs", "sha256", held["sha256:".Length..]), Path.Combine(blobs, held.Replace(':', '-')));

        await rig.StartSnapshotterAsync($"""
            plugins:
              - name: {PluginName}
                path: {published}
                settings:
                  directory: {blobs}
            chains:
              - name: default
                backends: [{PluginName}]
            default_chain: default
            """, ct);
        await rig.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", PullRig.Snapshotter, reference], ct);

        var backends = await BackendsByLayerAsync(rig, ct);
        Assert.True(backends.SequenceEqual([PluginName, null, PluginName]), $"who prepared each layer: {string.Join(", ", backends.Select(b => b ?? "containerd"))}\n{rig.Describe()}");

        var output = await rig.Containerd.RunContainerAsync(reference, PullRig.Snapshotter, ["cat", "/data/opaque/visible", "/data/replaced"], ct);
        Assert.Equal("upper\nnew content, longer than before\n", output);

        var ours = await rig.Containerd.CaptureImageRootfsAsync(reference, PullRig.Snapshotter, rig.Directory.Combine("rootfs-ours"), ct);
        await rig.Containerd.CtrAsync(["image", "pull", "--plain-http", "--snapshotter", "overlayfs", reference], ct);
        var theirs = await rig.Containerd.CaptureImageRootfsAsync(reference, "overlayfs", rig.Directory.Combine("rootfs-theirs"), ct);
        var differences = RootfsListing.Compare(theirs, ours);
        Assert.True(differences.Count == 0, string.Join('\n', differences.Take(20)));
    }

    private static List<string> LayerDigests(OciImage image)
    {
        string Blob(string digest) => Path.Combine(image.LayoutPath, "blobs", "sha256", digest["sha256:".Length..]);
        using var index = JsonDocument.Parse(File.ReadAllText(Path.Combine(image.LayoutPath, "index.json")));
        var manifest = index.RootElement.GetProperty("manifests").EnumerateArray()
            .Single(m => m.TryGetProperty("annotations", out var a) && a.TryGetProperty("org.opencontainers.image.ref.name", out var n) && n.GetString() == image.Tag);
        using var document = JsonDocument.Parse(File.ReadAllText(Blob(manifest.GetProperty("digest").GetString()!)));
        return [.. document.RootElement.GetProperty("layers").EnumerateArray().Select(l => l.GetProperty("digest").GetString()!)];
    }

    // The backend label of each layer's committed snapshot, bottom to top (null: containerd applied it).
    private static async Task<List<string?>> BackendsByLayerAsync(PullRig rig, CancellationToken ct)
    {
        var list = await rig.Containerd.CtrAsync(["snapshots", "--snapshotter", PullRig.Snapshotter, "ls"], ct);
        var rows = list.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(columns => columns.Length >= 2 && columns[^1] == "Committed")
            .ToDictionary(columns => columns.Length == 3 ? columns[1] : "", columns => columns[0], StringComparer.Ordinal);
        var backends = new List<string?>();
        for (var parent = ""; rows.TryGetValue(parent, out var name); parent = name)
        {
            var info = await rig.Containerd.CtrAsync(["snapshots", "--snapshotter", PullRig.Snapshotter, "info", name], ct);
            using var json = JsonDocument.Parse(info.StandardOutput);
            backends.Add(json.RootElement.TryGetProperty("Labels", out var labels) && labels.TryGetProperty("containerd.io/snapshot/pluggable.backend", out var b) ? b.GetString() : null);
        }
        return backends;
    }
}
