using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Local;

/// <summary>Registers the local backend: a registry client, a layer applier and the <see cref="IFileSystem"/> that uses them.</summary>
public sealed class LocalPlugin : ISnapshotterPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = LocalBackendOptions.From(context.Settings);
        services.AddSingleton(options);
        services.AddSingleton(provider => options.CreateClient(provider.GetService<ILogger<RegistryClient>>()));
        services.AddSingleton(provider => new LayerApplier(provider.GetService<ILogger<LayerApplier>>()));
        services.AddSingleton(provider => new ImageCatalog(provider.GetRequiredService<RegistryClient>()));
        services.AddSingleton<IFileSystem, LocalFileSystem>();
    }
}
