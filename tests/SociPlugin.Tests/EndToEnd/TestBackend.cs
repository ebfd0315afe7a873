using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Registry.Images;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>The soci backend wired as the plugin wires it, with its state under a test folder (background fill off unless asked for).</summary>
internal static class TestBackend
{
    public static SociFileSystem Create(RegistryClient registry, SociBackendOptions options, string stateDirectory, int spanEntries = 8, bool fill = false,
        ILogger<SociFileSystem>? logger = null, IDownloadGate? fillGate = null, Meter? meter = null)
    {
        if (!fill) options = options with { BackgroundFill = options.BackgroundFill with { Enable = false } };
        var store = new LayerStore(stateDirectory, options.Store);
        var activity = new OnDemandActivity();
        var spans = new SpanCache(spanEntries, long.MaxValue);
        var metrics = meter is null ? null : new LazyLayerMetrics(meter, spans, store);
        var filler = new BackgroundFill(registry, store, new LayerApplier(), options.BackgroundFill, options.UserXattr, fillGate ?? activity, metrics: metrics);
        return new SociFileSystem(registry, new DiscoveredIndexCache(new SociIndexFinder(registry, new ImageCatalog(registry), options.PullModes)), new ZtocSource(registry, ztoc => ZtocLayerEntries.BuildTree(ztoc, options.UserXattr)),
            new OnDemandFetch(registry, options.Fetch, activity), spans, store, filler, options, logger, metrics);
    }
}
