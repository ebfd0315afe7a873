using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PluggableSnapshotter.Sdk;

namespace TarballDirectory;

/// <summary>The plugin's entry point: the host creates it and lets it register its one <see cref="IFileSystem"/>.</summary>
public sealed class TarballDirectoryPlugin : ISnapshotterPlugin
{
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        // Unknown keys, values that do not convert and Validate's errors are all reported by the host with their lines.
        var options = PluginSettings.Read("tarball-directory", context.Settings, s => s.Get<TarballDirectoryOptions>(), o => o.Validate());
        services.AddSingleton(options);
        services.AddSingleton<IFileSystem, TarballDirectoryFileSystem>();
    }
}
