using PluggableSnapshotter.Registry.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;

/// <summary>Tests against a loopback docker-registry of their own, started when the tests can run (root) and stopped after.</summary>
public abstract class WithRegistry : IAsyncLifetime
{
    private RegistryServer? _registry;

    protected RegistryServer Registry => _registry!;

    public async Task InitializeAsync()
    {
        if (RootOnlyFactAttribute.IsRoot) _registry = await RegistryServer.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
    }
}
