using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Store;
using PluggableSnapshotter.Plugins.Estargz.Discovery;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Estargz;

/// <summary>
/// Registers the estargz backend: a registry client, image resolution, TOC discovery, the chunk cache, the local layer
/// store and its background fill (lib/LazyLayers, as for soci), and the <see cref="IFileSystem"/> that uses them.
/// </summary>
public sealed class EstargzPlugin : ISnapshotterPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = EstargzBackendOptions.From(context.Settings);
        services.AddSingleton(options);
        services.AddSingleton(provider => options.CreateClient(provider.GetService<ILogger<RegistryClient>>()));
        services.AddSingleton(new SpanCache(options.Cache.MaxEntries, options.Cache.MaxBytes));
        services.AddSingleton<ResolvedImageCache>();
        services.AddSingleton<TocFinder>();
        services.AddSingleton<TocPrefetcher>();
        services.AddSingleton<OnDemandActivity>();
        services.AddSingleton(provider => new OnDemandFetch(provider.GetRequiredService<RegistryClient>(), options.Fetch, provider.GetRequiredService<OnDemandActivity>()));
        services.AddSingleton(provider => new LayerStore(context.StateDirectory, options.Store, provider.GetService<ILogger<LayerStore>>()));
        services.AddSingleton(provider => new LayerApplier(provider.GetService<ILogger<LayerApplier>>()));
        services.AddSingleton(provider => new BackgroundFill(provider.GetRequiredService<RegistryClient>(), provider.GetRequiredService<LayerStore>(),
            provider.GetRequiredService<LayerApplier>(), options.BackgroundFill, options.UserXattr, provider.GetRequiredService<OnDemandActivity>(),
            provider.GetService<ILogger<BackgroundFill>>()));
        services.AddSingleton<IFileSystem, EstargzFileSystem>();
    }
}
