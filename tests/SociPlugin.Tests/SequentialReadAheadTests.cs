using System.Collections.Concurrent;
using PluggableSnapshotter.LazyLayers.Content;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class SequentialReadAheadTests
{
    [Fact]
    public void Read_UnitAfterThePrevious_LoadsTheNextUnitsNotHeld()
    {
        var readAhead = new SequentialReadAhead(units: 10, count: 3);
        var loaded = new ConcurrentBag<int>();

        readAhead.Read(0, _ => false, Load(loaded)); // the first read starts nothing, even at the layer's start
        readAhead.Read(1, next => next == 3, Load(loaded));

        Assert.Equal([2, 4], loaded.Order());
    }

    [Fact]
    public void Read_RandomOrderOrLastUnits_LoadsNothingPastTheEnd()
    {
        var readAhead = new SequentialReadAhead(units: 10, count: 3);
        var loaded = new ConcurrentBag<int>();

        readAhead.Read(5, _ => false, Load(loaded)); // the first read is not sequential
        readAhead.Read(2, _ => false, Load(loaded));
        readAhead.Read(8, _ => false, Load(loaded));
        readAhead.Read(9, _ => false, Load(loaded)); // sequential, but the last unit

        Assert.Empty(loaded);
    }

    private static Func<int, Task> Load(ConcurrentBag<int> loaded) => unit =>
    {
        loaded.Add(unit);
        return Task.CompletedTask;
    };
}
