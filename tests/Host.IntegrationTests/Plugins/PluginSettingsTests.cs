using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>The SDK's strict settings reader, on a settings type with every shape the binder knows.</summary>
public sealed class PluginSettingsTests
{
    public sealed record Nested
    {
        [ConfigurationKeyName("size")]
        public int Size { get; init; } = 1;
    }

    public sealed record Sample
    {
        [ConfigurationKeyName("name")]
        public string Name { get; init; } = "";

        [ConfigurationKeyName("timeout")]
        public TimeSpan? Timeout { get; init; }

        [ConfigurationKeyName("nested")]
        public Nested Nested { get; init; } = new();

        [ConfigurationKeyName("hosts")]
        public List<string> Hosts { get; init; } = [];

        [ConfigurationKeyName("by_name")]
        public Dictionary<string, Nested> ByName { get; init; } = [];

        [ConfigurationKeyName("mode")]
        public FileAccess Mode { get; init; } = FileAccess.Read;

        public int Computed => Nested.Size * 2;
    }

    [Fact]
    public void Read_EveryShapeWellFormed_Binds()
    {
        var options = Read(new()
        {
            ["name"] = "x",
            ["timeout"] = "00:00:05",
            ["nested:size"] = "3",
            ["hosts:0"] = "a",
            ["by_name:anything:size"] = "4",
            ["mode"] = "write",
        });

        Assert.Equal(("x", TimeSpan.FromSeconds(5), 3, "a", 4, FileAccess.Write),
            (options.Name, options.Timeout, options.Nested.Size, options.Hosts.Single(), options.ByName["anything"].Size, options.Mode));
    }

    [Theory]
    [InlineData("nested:sise", "3", "nested:sise", "unknown key 'sise' (did you mean 'size'?)")]
    [InlineData("by_name:a:colour", "red", "by_name:a:colour", "unknown key 'colour'")]
    [InlineData("hosts:first", "a", "hosts:first", "not a list entry")]
    [InlineData("nested", "5", "nested", "must be a mapping, not '5'")]
    [InlineData("name:first", "x", "name", "must be a single value")]
    [InlineData("timeout", "soon", "timeout", "'soon' is not a duration")]
    [InlineData("mode", "sideways", "mode", "'sideways' is not one of Read, Write, ReadWrite")]
    [InlineData("computed", "4", "computed", "unknown key 'computed'")]
    public void Read_Mistake_IsReportedAtItsKey(string key, string value, string errorKey, string message)
    {
        var error = Assert.Throws<PluginSettingsException>(() => Read(new() { [key] = value }));

        var only = Assert.Single(error.Errors);
        Assert.Equal(errorKey, only.Key);
        Assert.Contains(message, only.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_UnknownKeyAndFailedCheck_AreReportedTogether()
    {
        var error = Assert.Throws<PluginSettingsException>(() => PluginSettings.Read("sample", Settings(new() { ["nme"] = "x", ["nested:size"] = "0" }),
            s => s.Get<Sample>(), o => o.Nested.Size < 1 ? [new PluginSettingsError("nested:size", "must be at least 1")] : []));

        Assert.Equal(["nme", "nested:size"], error.Errors.Select(e => e.Key));
        Assert.Contains("sample settings are invalid", error.Message, StringComparison.Ordinal);
        Assert.Contains("nested.size: must be at least 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Capture_ReadInside_ReturnsTheBoundSettings()
    {
        var captured = PluginSettings.Capture(() => Read(new() { ["name"] = "seen" }));

        Assert.Equal("seen", Assert.IsType<Sample>(Assert.Single(captured)).Name);
    }

    private static Sample Read(Dictionary<string, string?> values) =>
        PluginSettings.Read("sample", Settings(values), s => s.Get<Sample>());

    private static IConfiguration Settings(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
