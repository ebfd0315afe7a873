using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Images;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.ParallelPull;

/// <summary>
/// Registers the parallel-pull backend. Its settings are checked here, so a bad value (or a <c>decompress_streams</c>
/// program that is missing) stops the daemon at startup with every problem listed.
/// </summary>
public sealed class ParallelPullPlugin : ISnapshotterPlugin
{
    /// <inheritdoc />
    public void ConfigureServices(IServiceCollection services, PluginContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = ParallelPullOptions.From(context.Settings);
        services.AddSingleton(options);
        services.TryAddSingleton(context); // the host registers both; these are for a plain service collection
        services.AddSingleton(provider => options.CreateClient(provider.GetService<ILogger<RegistryClient>>()));
        services.AddSingleton(provider => new LayerApplier(provider.GetService<ILogger<LayerApplier>>()));
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<StateLayout>();
        services.AddSingleton<PullLimits>();
        services.AddSingleton<BlobStore>();
        services.AddSingleton(provider => new ImageCatalog(provider.GetRequiredService<RegistryClient>()));
        services.AddSingleton<LayerUnpacker>();
        services.AddSingleton<LayerSlots>();
        services.AddSingleton(provider => new PullServices(
            provider.GetRequiredService<RegistryClient>(),
            provider.GetRequiredService<BlobStore>(),
            provider.GetRequiredService<LayerSlots>(),
            provider.GetRequiredService<ImageCatalog>(),
            provider.GetRequiredService<PullLimits>(),
            provider.GetRequiredService<StateLayout>(),
            options,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<ImageJob>>()));
        services.AddSingleton<ImageJobs>();
        services.AddSingleton<IFileSystem, ParallelPullFileSystem>();
        services.AddSingleton<IHostedService, ParallelPullService>();
    }
}
