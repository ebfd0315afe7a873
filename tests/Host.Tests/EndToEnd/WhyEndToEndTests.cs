using System.Globalization;
using System.Text.Json;
using Grpc.Core;
using PluggableSnapshotter.Host.Grpc.Wire;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Host.Tests.EndToEnd;

/// <summary>
/// <c>pluggable-snapshotter why</c> against a running daemon with the chain <c>[soci, local]</c> and <c>min_layer_size</c>
/// between the sizes of a busybox image's two layers (root only; needs scripts/build.sh's out/). An image without a SOCI
/// index goes through containerd (soci: no index, containerd applies it); its SOCI-enabled twin is prepared as CRI does,
/// with the layer sizes in the labels, which no ctr command sends (the big layer lazily, the small one below
/// min_layer_size by the local backend).
/// </summary>
public sealed class WhyEndToEndTests
{
    private const long MinLayerSize = 100_000; // the busybox layer is about 1 MB, the message layer a few hundred bytes

    private static string PluginsYaml
    {
        get
        {
            var plugins = Path.Combine(RepositoryPaths.Root, "out", "plugins");
            return $"""
                snapshotter:
                  min_layer_size: {MinLayerSize}
                plugins:
                  - name: soci
                    path: {plugins}/soci
                  - name: local
                    path: {plugins}/local
                chains:
                  - name: default
                    backends: [soci, local]
                default_chain: default
                """;
        }
    }

    [RootOnlyFact]
    public async Task Why_ImageWithoutIndexAndIndexedImageWithSmallLayer_SaysWhoPreparedEachLayerAndWhy()
    {
        var ct = TestContext.Token;
        await using var rig = await PullRig.StartRegistryAsync("why", ct);
        var plain = rig.Registry.Reference("test/plain", "v1");
        var original = rig.Registry.Reference("test/indexed", "v1");
        var indexed = rig.Registry.Reference("test/indexed", "soci");
        await (await TestImages.Busybox(rig.Directory.Combine("plain"), "plain\n").BuildAsync("v1", ct)).PushAsync(plain, ct);
        await (await TestImages.Busybox(rig.Directory.Combine("indexed"), "indexed\n").BuildAsync("v1", ct)).PushAsync(original, ct);
        await PublishedPsoci.RunCheckedAsync(["convert", "--min-layer-size", "0", original, indexed], ct);
        await rig.StartSnapshotterAsync(PluginsYaml, ct);

        // Through containerd first: its garbage collection would remove snapshots it did not make itself (the direct ones below).
        await rig.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", PullRig.Snapshotter, plain], ct);
        var plainWhy = await WhyAsync(rig, plain, ct);
        Assert.True(plainWhy.ExitCode == 0, plainWhy.ToString() + rig.Describe());
        Assert.Equal(2, Count(plainWhy.StandardOutput, "soci (lazy): no index"));
        Assert.Equal(2, Count(plainWhy.StandardOutput, "containerd applied it (chain default): no index and no parallel-pull fallback"));

        var layers = await ManifestLayersAsync(rig.Registry.Host, "test/indexed", "soci", ct);
        Assert.True(layers[0].Size >= MinLayerSize && layers[1].Size < MinLayerSize, $"layer sizes {layers[0].Size}, {layers[1].Size}");
        using var client = new SnapshotsClient(rig.Daemon.Socket);
        var parent = "";
        for (var i = 0; i < layers.Count; i++)
        {
            var target = $"indexed-layer-{i + 1}";
            var request = new PrepareSnapshotRequest { Key = $"default/{i + 1}/extract {target}", Parent = parent };
            request.Labels.Add(new Dictionary<string, string>
            {
                ["containerd.io/snapshot.ref"] = target,
                ["containerd.io/snapshot/cri.image-ref"] = indexed,
                ["containerd.io/snapshot/cri.layer-digest"] = layers[i].Digest,
                ["containerd.io/snapshot/cri.image-layers"] = string.Join(',', layers.Select(l => l.Digest)),
                ["containerd.io/snapshot/remote/soci.size"] = layers[i].Size.ToString(CultureInfo.InvariantCulture),
            });
            // Prepared by a backend and committed under the target: a remote snapshotter answers AlreadyExists.
            var answer = await Assert.ThrowsAsync<RpcException>(async () => await client.Snapshots.PrepareAsync(request, cancellationToken: ct));
            Assert.True(answer.StatusCode == StatusCode.AlreadyExists, $"{answer.Status}\n{rig.Describe()}");
            parent = target;
        }

        var indexedWhy = await WhyAsync(rig, indexed, ct);
        var byKey = await WhyAsync(rig, "indexed-layer-2", ct);
        Assert.True(indexedWhy.ExitCode == 0, indexedWhy.ToString());
        var text = indexedWhy.StandardOutput;
        Assert.Contains($"layer 1: {layers[0].Digest}", text, StringComparison.Ordinal);
        Assert.Contains("prepared by soci (lazy) in chain default", text, StringComparison.Ordinal);
        Assert.Contains($"layer 2: {layers[1].Digest}", text, StringComparison.Ordinal);
        Assert.Contains($"soci (lazy): below min_layer_size: {layers[1].Size} < {MinLayerSize} bytes", text, StringComparison.Ordinal);
        Assert.Contains("prepared by local (local) in chain default", text, StringComparison.Ordinal);
        Assert.Equal(text[text.IndexOf('\n', StringComparison.Ordinal)..], byKey.StandardOutput[byKey.StandardOutput.IndexOf('\n', StringComparison.Ordinal)..]);
        Assert.Equal(1, (await WhyAsync(rig, "no/such:image", ct)).ExitCode);
    }

    private static Task<ProcessResult> WhyAsync(PullRig rig, string target, CancellationToken ct) =>
        ProcessRunner.RunAsync(RepositoryPaths.Daemon, ["why", "--root", rig.Daemon.Root, target], ct);

    private static int Count(string text, string part) =>
        text.Split('\n').Count(line => line.Contains(part, StringComparison.Ordinal));

    // The image's layers (of its one platform, when the tag names an index), as CRI reads them before its Prepares.
    private static async Task<List<(string Digest, long Size)>> ManifestLayersAsync(string registry, string repository, string reference, CancellationToken ct)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{registry}/v2/{repository}/manifests/{reference}"));
        foreach (var type in (string[])["application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json"])
        {
            request.Headers.Accept.ParseAdd(type);
        }
        using var response = await http.SendAsync(request, ct);
        response.EnsureSuccessStatusCode();
        using var manifest = JsonDocument.Parse(await response.Content.ReadAsStringAsync(ct));
        if (manifest.RootElement.TryGetProperty("manifests", out var platforms))
        {
            return await ManifestLayersAsync(registry, repository, platforms[0].GetProperty("digest").GetString()!, ct);
        }
        return manifest.RootElement.GetProperty("layers").EnumerateArray()
            .Select(l => (l.GetProperty("digest").GetString()!, l.GetProperty("size").GetInt64())).ToList();
    }

}
