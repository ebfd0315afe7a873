using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

public sealed class IdleTrimPolicyTests
{
    private static readonly IdleTrimPolicy Policy = new(BusyBytes: 1000, QuietBytes: 10, Period: TimeSpan.FromSeconds(1));

    [Fact]
    public void ShouldTrim_BusyThenQuiet_Trims() =>
        Assert.True(Policy.ShouldTrim(allocatedAtTrim: 0, allocatedAtLastCheck: 1500, allocatedNow: 1505));

    [Fact]
    public void ShouldTrim_StillBusy_Waits() =>
        Assert.False(Policy.ShouldTrim(allocatedAtTrim: 0, allocatedAtLastCheck: 1000, allocatedNow: 2000));

    [Fact]
    public void ShouldTrim_QuietWithoutWorkSinceLastTrim_Waits() =>
        Assert.False(Policy.ShouldTrim(allocatedAtTrim: 5000, allocatedAtLastCheck: 5100, allocatedNow: 5100));

    [Fact]
    public void ShouldTrim_ExactlyAtBounds_Trims() =>
        Assert.True(Policy.ShouldTrim(allocatedAtTrim: 0, allocatedAtLastCheck: 990, allocatedNow: 1000));
}
