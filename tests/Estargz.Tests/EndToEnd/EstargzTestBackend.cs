using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Estargz.Tests.EndToEnd;

/// <summary>The estargz backend wired as the plugin wires it, in process, with its state under a test folder.</summary>
internal static class EstargzTestBackend
{
    public static EstargzFileSystem Create(RegistryClient registry, EstargzBackendOptions options, string stateDirectory, ILogger<EstargzFileSystem>? logger = null)
    {
        var store = new LayerStore(stateDirectory, options.Store);
        var activity = new OnDemandActivity();
        var fetch = new OnDemandFetch(registry, options.Fetch, activity);
        var fill = new BackgroundFill(registry, store, new LayerApplier(), options.BackgroundFill, options.UserXattr, activity);
        return new EstargzFileSystem(registry, new ResolvedImageCache(registry), new TocPrefetcher(new TocFinder(fetch), options), fetch,
            new SpanCache(options.Cache.MaxEntries, options.Cache.MaxBytes), store, fill, options, logger);
    }
}
