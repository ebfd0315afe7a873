using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;

/// <summary>Tests against a loopback docker-registry of their own, started when the tests can run (root) and stopped after.</summary>
public abstract class WithRegistry : IAsyncLifetime
{
    private RegistryFixture? _registry;

    protected RegistryFixture Registry => _registry!;

    public async Task InitializeAsync()
    {
        if (RootOnlyFactAttribute.IsRoot) _registry = await RegistryFixture.StartAsync(CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        if (_registry is not null) await _registry.DisposeAsync();
    }
}
