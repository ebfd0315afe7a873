using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluggableSnapshotter.Sdk.Testing;

/// <summary>
/// Loads a plugin the way the host does (a fresh service collection with a logger factory, <c>ILogger&lt;T&gt;</c>, a
/// <see cref="TimeProvider"/> and the <see cref="PluginContext"/>; exactly one <see cref="IFileSystem"/>; hosted services
/// started before use and stopped at the end), under a snapshotter root of its own.
/// </summary>
public sealed class PluginHarness : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly IReadOnlyList<IHostedService> _hostedServices;

    private PluginHarness(ServiceProvider provider, IFileSystem fileSystem, IReadOnlyList<IHostedService> hostedServices, PluginContext context)
    {
        _provider = provider;
        FileSystem = fileSystem;
        _hostedServices = hostedServices;
        Context = context;
    }

    /// <summary>The plugin's one file system.</summary>
    public IFileSystem FileSystem { get; }

    /// <summary>What the plugin was told about where it runs.</summary>
    public PluginContext Context { get; }

    /// <summary>Configures <paramref name="plugin"/> with <paramref name="settings"/> (flat keys, ':'-separated) under <paramref name="snapshotterRoot"/> and starts its hosted services.</summary>
    public static async Task<PluginHarness> StartAsync(ISnapshotterPlugin plugin, string name, IReadOnlyDictionary<string, string?> settings,
        string snapshotterRoot, ILoggerFactory? loggerFactory, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        var context = new PluginContext
        {
            Name = name,
            Settings = new ConfigurationBuilder().AddInMemoryCollection(settings).Build(),
            SnapshotterRoot = Directory.CreateDirectory(snapshotterRoot).FullName,
            StateDirectory = Directory.CreateDirectory(Path.Combine(snapshotterRoot, "plugins", name)).FullName,
        };
        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory ?? NullLoggerFactory.Instance);
        services.AddSingleton(typeof(ILogger<>), loggerFactory is null ? typeof(NullLogger<>) : typeof(FactoryLogger<>));
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(context);
        plugin.ConfigureServices(services, context);

        var registrations = services.Count(d => d.ServiceType == typeof(IFileSystem));
        if (registrations != 1)
            throw new InvalidOperationException($"{plugin.GetType().FullName} must register exactly one {nameof(IFileSystem)}, as the host requires; it registered {registrations}");
        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
        var hostedServices = provider.GetServices<IHostedService>().ToList();
        try
        {
            foreach (var service in hostedServices) await service.StartAsync(cancellationToken).ConfigureAwait(false);
            return new PluginHarness(provider, provider.GetRequiredService<IFileSystem>(), hostedServices, context);
        }
        catch
        {
            await provider.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Stops the hosted services (in reverse order, as the host does) and disposes the plugin's services.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            foreach (var service in _hostedServices.Reverse()) await service.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await _provider.DisposeAsync().ConfigureAwait(false);
        }
    }

    // ILogger<T> from a caller's factory, without Microsoft.Extensions.Logging's Logger<T>.
    private sealed class FactoryLogger<T>(ILoggerFactory factory) : ILogger<T>
    {
        private readonly ILogger _logger = factory.CreateLogger(typeof(T).FullName ?? typeof(T).Name);

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => _logger.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => _logger.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _logger.Log(logLevel, eventId, state, exception, formatter);
    }
}
