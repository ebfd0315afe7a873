using Microsoft.Extensions.Hosting;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>A backend plugin loaded in its own load context, with its own service provider.</summary>
internal sealed class LoadedPlugin(string name, IFileSystem fileSystem, IReadOnlyList<IHostedService> hostedServices,
    IServiceProvider services, McMaster.NETCore.Plugins.PluginLoader loader) : IAsyncDisposable
{
    public string Name { get; } = name;

    public IFileSystem FileSystem { get; } = fileSystem;

    public IReadOnlyList<IHostedService> HostedServices { get; } = hostedServices;

    public async ValueTask DisposeAsync()
    {
        if (services is IAsyncDisposable disposable)
        {
            await disposable.DisposeAsync();
        }
        loader.Dispose();
    }
}
