using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// The Prometheus endpoint after real pulls through containerd (root only): a lazy rpull of a SOCI-enabled image with
/// the chain [soci, local], a container reading files and the background fill making the layers local, then a whole
/// image through the chain [parallel-pull]. Each family shows up with values for the backend and chain that did the work.
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class MetricsEndToEndTests(SociImages images)
{
    [RootOnlyFact]
    public async Task Scrape_AfterLazyAndParallelPulls_ShowsFamiliesForEachBackendAndChain()
    {
        var ct = SociImages.Timeout;
        var port = LoopbackPort.Reserve();
        await using var node = await SociNode.StartAsync(images.Directory.Combine("metrics"), ct, pluginsYaml: $"""
            metrics_address: 127.0.0.1:{port}
            plugins:
              - name: soci
                path: PLUGINS/soci
                settings: {"{ background_fill: { delay_ms: 3000 } }"}
              - name: local
                path: PLUGINS/local
              - name: parallel-pull
                path: PLUGINS/parallel-pull
            chains:
              - name: parallel
                backends: [parallel-pull]
                images: ["{images.Plain}"]
              - name: lazy
                backends: [soci, local]
            default_chain: lazy
            """);
        var url = $"http://127.0.0.1:{port}";
        using (var http = new HttpClient())
        {
            Assert.Equal("ok\n", await http.GetStringAsync($"{url}/healthz", ct));
        }
        var lazyLayers = await LayersOfAsync(images.Converted, ct);
        var plainLayers = await LayersOfAsync(images.Plain, ct);

        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Converted], ct);
        var output = await node.Containerd.RunContainerAsync(images.Converted, SociNode.Snapshotter, ["cat", "/data/opaque/visible"], ct);
        Assert.Equal("upper\n", output);
        await node.WaitForLocalAsync(lazyLayers.Select(l => l.Digest), ct);
        await node.Containerd.CtrRemoteAsync(["image", "rpull", "--plain-http", "--snapshotter", SociNode.Snapshotter, images.Plain], ct);

        var scrape = await PrometheusScrape.GetAsync($"{url}/metrics", ct);
        var why = $"{scrape.Text}\n{node.Describe()}";
        (string, string) sociScope = ("otel_scope_backend", "soci");

        // Prepare outcomes and durations, by role, reason, backend and chain (the host's).
        Assert.True(scrape.Sum("pluggable_snapshotter_prepare_total", ("role", "lazy"), ("reason", "none"), ("backend", "soci"), ("chain", "lazy")) == lazyLayers.Count, why);
        // The plain image shares its busybox layer with the lazy one: that layer is committed already, so only its
        // other layers are prepared, by parallel pull.
        var parallelPrepares = scrape.Sum("pluggable_snapshotter_prepare_total", ("role", "parallel"), ("reason", "no_lazy_backend"), ("backend", "parallel-pull"), ("chain", "parallel"));
        Assert.True(parallelPrepares >= 1 && parallelPrepares < plainLayers.Count + 1, why);
        Assert.True(scrape.Sum("pluggable_snapshotter_prepare_duration_milliseconds_count", ("role", "lazy"), ("chain", "lazy")) == lazyLayers.Count, why);
        Assert.True(scrape.Sum("pluggable_snapshotter_prepare_duration_milliseconds_sum", ("role", "parallel"), ("chain", "parallel")) > 0, why);

        // Every snapshots API call timed by method and code: each lazy layer's Prepare answered AlreadyExists, and the
        // container's own rw snapshot prepared, its mounts asked for.
        Assert.True(scrape.Sum("pluggable_snapshotter_call_duration_milliseconds_count", ("method", "Prepare"), ("code", "AlreadyExists")) >= lazyLayers.Count, why);
        Assert.True(scrape.Sum("pluggable_snapshotter_call_duration_milliseconds_count", ("method", "Prepare"), ("code", "OK")) >= 1, why);
        Assert.True(scrape.Sum("pluggable_snapshotter_call_duration_milliseconds_count", ("method", "Mounts"), ("code", "OK")) >= 1, why);
        Assert.True(scrape.Sum("pluggable_snapshotter_call_duration_milliseconds_sum", ("method", "Mounts")) > 0, why);

        // The soci backend's own families, under SOCI's names where it has them.
        Assert.True(scrape.Sum("soci_fs_operation_duration_milliseconds_count", sociScope, ("operation_type", "mount")) == lazyLayers.Count, why);
        Assert.True(scrape.Sum("soci_fs_operation_duration_milliseconds_count", sociScope, ("operation_type", "remote_registry_get")) > 0, why);
        Assert.True(scrape.Sum("soci_fs_operation_duration_milliseconds_count", sociScope, ("operation_type", "background_fetch")) == lazyLayers.Count, why);
        Assert.True(scrape.Sum("soci_fs_operation_count", sociScope, ("operation_type", "on_demand_remote_registry_fetch_count")) > 0, why);
        Assert.True(scrape.Sum("soci_fs_layer_fetched_size_bytes", sociScope, ("fetch", "on_demand")) > 0, why);
        Assert.True(scrape.Sum("soci_fs_layer_fetched_size_bytes", sociScope, ("fetch", "background")) == lazyLayers.Sum(l => l.Size), why);
        Assert.True(scrape.Sum("soci_fs_layer_fetched_size_bytes", ("otel_scope_backend", "parallel-pull"), ("fetch", "whole_layer")) > 0, why);
        Assert.True(scrape.Sum("soci_span_cache_misses", sociScope) > 0, why);
        Assert.True(scrape.Has("soci_span_cache_hits"), why);
        Assert.True(scrape.Sum("soci_store_layers", sociScope, ("state", "local")) == lazyLayers.Count, why);
        Assert.True(scrape.Sum("soci_fs_background_fetch_work_queue_size", sociScope) == 0, why);
        Assert.True(scrape.Sum("pluggable_snapshotter_store_bytes", sociScope) > 0, why);
        Assert.True(scrape.Sum("pluggable_snapshotter_layers_mounted", sociScope) == lazyLayers.Count, why);

        // FUSE operations by opcode: the container's lookups and reads, with no failures.
        Assert.True(scrape.Sum("fuse_operations", sociScope, ("opcode", "lookup")) > 0, why);
        Assert.True(scrape.Sum("fuse_operations", sociScope, ("opcode", "init")) >= lazyLayers.Count, why);
        Assert.True(scrape.Sum("fuse_operation_failures", sociScope) == 0, why);
    }

    private static async Task<IReadOnlyList<Descriptor>> LayersOfAsync(string image, CancellationToken ct)
    {
        using var registry = new RegistryClient();
        return (await registry.ResolveAsync(ImageReference.Parse(image), null, ct)).Manifest.Layers;
    }
}
