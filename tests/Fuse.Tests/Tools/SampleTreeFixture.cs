using PluggableSnapshotter.Fuse.Tests.Support;

namespace PluggableSnapshotter.Fuse.Tests.Tools;

/// <summary>One mount of <see cref="SampleTree"/> shared by the tool tests (building 100k nodes takes a moment).</summary>
public sealed class SampleTreeFixture : IAsyncLifetime
{
    private TestMount? _mount;

    internal TestMount Mount => _mount ?? throw new InvalidOperationException("not mounted");

    public async Task InitializeAsync() => _mount = await TestMount.StartAsync(SampleTree.Create());

    public async Task DisposeAsync()
    {
        if (_mount is not null)
        {
            await _mount.DisposeAsync();
        }
    }
}
