using PluggableSnapshotter.LazyLayers.Content;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class OnDemandActivityTests
{
    [Fact]
    public async Task WaitAsync_NoReadInFlight_PassesAtOnce()
    {
        var activity = new OnDemandActivity();

        await activity.WaitAsync(1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task WaitAsync_WhileReadsAreInFlight_WaitsForTheLastOneToEnd()
    {
        var activity = new OnDemandActivity();
        var first = activity.Begin();
        var second = activity.Begin();

        var fill = activity.WaitAsync(1, CancellationToken.None);
        first.Dispose();
        await Task.Delay(50);
        Assert.False(fill.IsCompleted);
        second.Dispose();
        second.Dispose(); // a second dispose changes nothing

        await fill.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(0, activity.InFlight);
    }
}
