using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Tar;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

/// <summary>An index's modification times (Go's RFC 3339) read to the nanosecond by lib/Tar's GoTime, the writer's own counterpart.</summary>
public sealed class ModificationTimeTests
{
    [Theory]
    [InlineData("2024-05-06T07:08:09.123456789Z", 1714979289L, 123456789u)]
    [InlineData("2024-05-06T07:08:09.1234567Z", 1714979289L, 123456700u)]
    [InlineData("2024-05-06T07:08:09.5Z", 1714979289L, 500000000u)]
    [InlineData("2024-05-06T07:08:09Z", 1714979289L, 0u)]
    [InlineData("2024-05-06T09:08:09.000000001+02:00", 1714979289L, 1u)]
    [InlineData("2024-05-06T07:08:09.1234567891Z", 1714979289L, 123456789u)] // Go drops digits past the ninth
    [InlineData("1969-12-31T23:59:59.25Z", -1L, 250000000u)]
    [InlineData("", 0L, 0u)]
    public void ModificationTimeOf_GoRfc3339Text_GivesSecondsAndNanoseconds(string text, long seconds, uint nanoseconds)
    {
        Assert.Equal(new UnixTime(seconds, nanoseconds), LayerEntry.ModificationTimeOf(text, "entry"));
    }

    [Theory]
    [InlineData(1714979289L, 123456789L)]
    [InlineData(1700000000L, 100L)]
    [InlineData(-86400L, 999999999L)]
    [InlineData(0L, 0L)]
    public void ModificationTimeOf_WhatGoTimeFormats_RoundTripsToTheNanosecond(long seconds, long nanoseconds)
    {
        // lib/Tar's GoTime writes zTOCs' mod_time as SOCI does (Go's MarshalText); the tree must read back the same instant.
        Assert.Equal(new UnixTime(seconds, (uint)nanoseconds), LayerEntry.ModificationTimeOf(GoTime.FormatUnix(seconds, nanoseconds), "entry"));
    }

    [Theory]
    [InlineData("yesterday")]
    [InlineData("05/06/2024 07:08:09")] // a date .NET's lenient parser takes
    [InlineData("2024-05-06")] // a date without a time
    public void ModificationTimeOf_NotRfc3339_ThrowsInvalidDataNamingTheEntry(string text)
    {
        var error = Assert.Throws<InvalidDataException>(() => LayerEntry.ModificationTimeOf(text, "etc/passwd"));

        Assert.Contains("etc/passwd", error.Message, StringComparison.Ordinal);
    }
}
