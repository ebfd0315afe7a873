using PluggableSnapshotter.Host.IntegrationTests.Support;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

/// <summary>Measuring a layer's disk usage (a walk of every file) holds no metadata lock (root: overlay directories on tmpfs).</summary>
public class UsageTests
{
    private static readonly Dictionary<string, string> NoLabels = [];

    [RootOnlyFact]
    public async Task CommitAsync_SlowMeasurement_OtherOperationsGoOnMeanwhile()
    {
        using var measuring = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None, measureUsage: (_, ct) =>
        {
            measuring.Release();
            release.Wait(ct); // a `du` of a huge layer
            return new SnapshotUsage(4096, 3);
        });
        await core.Snapshotter.PrepareAsync("a", "", NoLabels, null, CancellationToken.None);

        var commit = Task.Run(() => core.Snapshotter.CommitAsync("A", "a", NoLabels, CancellationToken.None));
        Assert.True(await measuring.WaitAsync(TimeSpan.FromSeconds(10)));

        // While the commit measures: a Prepare, a Stat and a Usage of another snapshot (its own measurement) finish.
        var others = Task.Run(async () =>
        {
            await core.Snapshotter.PrepareAsync("b", "", NoLabels, null, CancellationToken.None);
            await core.Snapshotter.StatAsync("a", CancellationToken.None);
            await core.Snapshotter.RemoveAsync("b", CancellationToken.None);
        });
        Assert.Same(others, await Task.WhenAny(others, Task.Delay(TimeSpan.FromSeconds(10))));
        await others;
        Assert.False(commit.IsCompleted);

        release.Release();
        await commit;
        Assert.Equal(new SnapshotUsage(4096, 3), await core.Snapshotter.UsageAsync("A", CancellationToken.None));
    }

    [RootOnlyFact]
    public async Task UsageAsync_SlowMeasurementOfActive_OtherOperationsGoOnMeanwhile()
    {
        using var measuring = new SemaphoreSlim(0);
        using var release = new SemaphoreSlim(0);
        await using var core = await CoreFixture.CreateAsync(BackendCapabilities.None, measureUsage: (_, ct) =>
        {
            measuring.Release();
            release.Wait(ct);
            return new SnapshotUsage(8192, 5);
        });
        await core.Snapshotter.PrepareAsync("a", "", NoLabels, null, CancellationToken.None);

        var usage = Task.Run(() => core.Snapshotter.UsageAsync("a", CancellationToken.None));
        Assert.True(await measuring.WaitAsync(TimeSpan.FromSeconds(10)));
        var stat = core.Snapshotter.StatAsync("a", CancellationToken.None);
        Assert.Same(stat, await Task.WhenAny(stat, Task.Delay(TimeSpan.FromSeconds(10))));

        release.Release();
        Assert.Equal(new SnapshotUsage(8192, 5), await usage);
    }
}
