using PluggableSnapshotter.LazyLayers.Mounts;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Mounts;

/// <summary>Work that can wait waits for a quiet spell after the last mount began, and never longer than its cap.</summary>
public sealed class MountActivityTests
{
    [Fact]
    public void WaitQuietAsync_NoMountEver_ReturnsAtOnce()
    {
        var activity = new MountActivity();

        Assert.True(activity.WaitQuietAsync(TimeSpan.FromHours(1), TimeSpan.FromHours(1), CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task WaitQuietAsync_MountJustBegan_WaitsUntilQuiet()
    {
        var activity = new MountActivity();
        activity.MountStarted();

        var wait = activity.WaitQuietAsync(TimeSpan.FromHours(1), TimeSpan.FromHours(1), CancellationToken.None);
        await Task.Delay(100);

        Assert.False(wait.IsCompleted);
    }

    [Fact]
    public async Task WaitQuietAsync_MountsKeepComing_ReturnsAtTheCap()
    {
        var activity = new MountActivity();
        activity.MountStarted();

        await activity.WaitQuietAsync(TimeSpan.FromHours(1), TimeSpan.FromMilliseconds(200), CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task WaitQuietAsync_Cancelled_Throws()
    {
        var activity = new MountActivity();
        activity.MountStarted();
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(50));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => activity.WaitQuietAsync(TimeSpan.FromHours(1), TimeSpan.FromHours(1), cancel.Token));
    }
}
