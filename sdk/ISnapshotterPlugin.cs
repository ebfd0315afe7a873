using Microsoft.Extensions.DependencyInjection;

namespace PluggableSnapshotter.Sdk;

/// <summary>
/// The entry point of a backend plugin. The host loads the plugin's assembly in its own load context, creates the one public
/// type that implements this interface (it needs a public parameterless constructor) and calls <see cref="ConfigureServices"/>.
/// </summary>
/// <remarks>
/// The plugin must register exactly one <see cref="IFileSystem"/>. It may register <c>IHostedService</c>s, which the host
/// starts before serving and stops at shutdown. The host provides <c>ILoggerFactory</c>/<c>ILogger&lt;T&gt;</c> and the
/// <see cref="PluginContext"/>. Only the SDK and the Microsoft.Extensions abstractions are shared with the host;
/// everything else the plugin ships loads privately, so two plugins may use different versions of one library.
/// </remarks>
public interface ISnapshotterPlugin
{
    /// <summary>Registers the plugin's services.</summary>
    void ConfigureServices(IServiceCollection services, PluginContext context);
}
