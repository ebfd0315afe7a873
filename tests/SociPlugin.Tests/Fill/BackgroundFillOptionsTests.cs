using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary><c>background_fill.container_start_pause_ms</c> and <c>nice</c>: their defaults, their binding from the soci plugin's settings, their ranges.</summary>
public sealed class BackgroundFillOptionsTests
{
    [Fact]
    public void ContainerStartPause_Default_Is500Milliseconds()
    {
        Assert.Equal(500, new BackgroundFillOptions().ContainerStartPauseMilliseconds);
        Assert.Equal(500, SociBackendOptions.From(Settings([])).BackgroundFill.ContainerStartPauseMilliseconds);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2000)]
    public void Validate_ZeroOrMore_IsAccepted(int milliseconds)
    {
        Assert.Empty(new BackgroundFillOptions { ContainerStartPauseMilliseconds = milliseconds }.Validate());
    }

    [Fact]
    public void Validate_Negative_IsRefusedAtItsKey()
    {
        var (key, message) = Assert.Single(new BackgroundFillOptions { ContainerStartPauseMilliseconds = -1 }.Validate());

        Assert.Equal("container_start_pause_ms", key);
        Assert.Equal("must be 0 or more, not -1", message);
    }

    [Fact]
    public void From_SnakeCaseKey_IsBound()
    {
        var options = SociBackendOptions.From(Settings(new() { ["background_fill:container_start_pause_ms"] = "0" }));

        Assert.Equal(0, options.BackgroundFill.ContainerStartPauseMilliseconds);
    }

    [Fact]
    public void From_Negative_ThrowsNamingTheSetting()
    {
        var error = Assert.Throws<PluginSettingsException>(() => SociBackendOptions.From(Settings(new() { ["background_fill:container_start_pause_ms"] = "-250" })));

        var only = Assert.Single(error.Errors);
        Assert.Equal("background_fill:container_start_pause_ms", only.Key);
        Assert.Contains("must be 0 or more, not -250", only.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Nice_Default_IsTen_AndBindsFromItsKey()
    {
        Assert.Equal(10, new BackgroundFillOptions().Nice);
        Assert.Equal(0, SociBackendOptions.From(Settings(new() { ["background_fill:nice"] = "0" })).BackgroundFill.Nice);
        Assert.Equal(19, SociBackendOptions.From(Settings(new() { ["background_fill:nice"] = "19" })).BackgroundFill.Nice);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(20)]
    public void Validate_NiceOutside0To19_IsRefusedAtItsKey(int nice)
    {
        var (key, message) = Assert.Single(new BackgroundFillOptions { Nice = nice }.Validate());

        Assert.Equal("nice", key);
        Assert.Equal($"must be 0 to 19, not {nice}", message);
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
