using PluggableSnapshotter.LazyLayers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Plugins.Soci.WarmUp;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Mounts;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>
/// Registers the soci backend: a registry client, index discovery, zTOCs, the span cache, the local layer store and
/// its background fill, and the <see cref="IFileSystem"/> that uses them.
/// </summary>
public sealed class SociPlugin : ISnapshotterPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = SociBackendOptions.From(context.Settings);
        services.AddSingleton(options);
        services.AddSingleton(provider => options.CreateClient(provider.GetService<ILogger<RegistryClient>>()));
        services.AddSingleton(new SpanCache(options.Cache.MaxLruCacheEntry, options.Cache.MaxBytes));
        services.AddSingleton(provider => new ImageCatalog(provider.GetRequiredService<RegistryClient>()));
        services.AddSingleton(provider => new SociIndexFinder(
            provider.GetRequiredService<RegistryClient>(), provider.GetRequiredService<ImageCatalog>(), options.PullModes));
        services.AddSingleton(provider => new LazyLayerMetrics(context.Meter, provider.GetRequiredService<SpanCache>(), provider.GetRequiredService<LayerStore>()));
        services.AddSingleton<DiscoveredIndexCache>();
        // Each zTOC's tree is built as it arrives: the image's later layers then only mount.
        services.AddSingleton(provider => new ZtocSource(provider.GetRequiredService<RegistryClient>(), ztoc => ZtocLayerEntries.BuildTree(ztoc, options.UserXattr)));
        services.AddSingleton<OnDemandActivity>();
        services.AddSingleton(provider => new OnDemandFetch(provider.GetRequiredService<RegistryClient>(), options.Fetch, provider.GetRequiredService<OnDemandActivity>(),
            metrics: provider.GetRequiredService<LazyLayerMetrics>()));
        services.AddSingleton(provider => new LayerStore(context.StateDirectory, options.Store, provider.GetService<ILogger<LayerStore>>()));
        services.AddSingleton(provider => new LayerApplier(provider.GetService<ILogger<LayerApplier>>()));
        services.AddSingleton(provider => new BackgroundFill(provider.GetRequiredService<RegistryClient>(), provider.GetRequiredService<LayerStore>(),
            provider.GetRequiredService<LayerApplier>(), options.BackgroundFill, options.UserXattr, provider.GetRequiredService<OnDemandActivity>(),
            provider.GetService<ILogger<BackgroundFill>>(), provider.GetRequiredService<LazyLayerMetrics>()));
        services.AddSingleton<MountActivity>();
        services.AddSingleton<IFileSystem, SociFileSystem>();
        services.AddSingleton<IHostedService, SociWarmUpService>();
    }
}
