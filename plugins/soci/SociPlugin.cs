using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci;

/// <summary>Registers the soci backend: a registry client, index discovery, the span cache and the <see cref="IFileSystem"/> that uses them.</summary>
public sealed class SociPlugin : ISnapshotterPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = SociBackendOptions.From(context.Settings);
        services.AddSingleton(options);
        services.AddSingleton(provider => options.CreateClient(provider.GetService<ILogger<RegistryClient>>()));
        services.AddSingleton(new SpanCache(options.Cache.MaxLruCacheEntry));
        services.AddSingleton(provider => new SociIndexFinder(provider.GetRequiredService<RegistryClient>(), options.PullModes));
        services.AddSingleton<DiscoveredIndexCache>();
        services.AddSingleton<IFileSystem, SociFileSystem>();
    }
}
