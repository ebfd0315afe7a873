using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>A backend that only observes container starts and removals (every <see cref="IFileSystem"/> role keeps its default); may throw when told.</summary>
internal sealed class StartObservingBackend(string name, bool throws = false) : IFileSystem, IContainerStartObserver
{
    public string Name { get; } = name;

    public BackendCapabilities Capabilities => BackendCapabilities.Lazy;

    /// <summary>The keys it was told, in order.</summary>
    public List<string> Keys { get; } = [];

    public void ContainerStarting(string key)
    {
        Keys.Add(key);
        if (throws) throw new InvalidOperationException($"{Name} cannot take note");
    }

    /// <summary>The keys it was told were removed, in order.</summary>
    public List<string> RemovedKeys { get; } = [];

    public void ContainerRemoved(string key)
    {
        RemovedKeys.Add(key);
        if (throws) throw new InvalidOperationException($"{Name} cannot take note");
    }
}
