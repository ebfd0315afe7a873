using PluggableSnapshotter.Registry;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// A test class that runs backends of its own: a fresh folder on the images' tmpfs per test (root only) and a registry
/// client; whatever a test left mounted below the folder is unmounted after it, even when it failed.
/// </summary>
public abstract class BackendTestRoot(SociImages images, string prefix) : IAsyncLifetime
{
    /// <summary>The collection's images and registry.</summary>
    protected SociImages Images { get; } = images;

    protected RegistryClient Registry { get; } = new();

    /// <summary>The test's folder ("" when not root: the test is skipped).</summary>
    protected string Root { get; private set; } = "";

    public Task InitializeAsync()
    {
        if (RootOnlyFactAttribute.IsRoot) Root = Directory.CreateDirectory(Images.Directory.Combine(prefix + "-" + Guid.NewGuid().ToString("N")[..8])).FullName;
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        if (Root.Length > 0) MountTable.UnmountUnder(Root);
        Registry.Dispose();
        return Task.CompletedTask;
    }
}
