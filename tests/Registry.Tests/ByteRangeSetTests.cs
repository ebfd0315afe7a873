using PluggableSnapshotter.Registry.Downloads;

namespace PluggableSnapshotter.Registry.Tests;

public sealed class ByteRangeSetTests
{
    [Fact]
    public void Add_OverlappingAndTouchingRanges_MergesThemAndCountsEachByteOnce()
    {
        var set = new ByteRangeSet();

        set.Add(new ByteRange(10, 10));
        set.Add(new ByteRange(30, 10));
        set.Add(new ByteRange(15, 15)); // overlaps the first, touches the second

        Assert.Equal([new ByteRange(10, 30)], set.Ranges);
        Assert.Equal(30, set.TotalBytes);
    }

    [Fact]
    public void RunFrom_InsideARangeAtAGapAndAtItsEnd_CountsThePresentBytesFromThere()
    {
        var set = new ByteRangeSet();
        set.Add(new ByteRange(10, 20));
        set.Add(new ByteRange(30, 10)); // touches the first: one run [10, 40)

        Assert.Equal(30, set.RunFrom(10));
        Assert.Equal(5, set.RunFrom(35));
        Assert.Equal(0, set.RunFrom(40));
        Assert.Equal(0, set.RunFrom(9));
    }

    [Fact]
    public void Missing_RangeWithHoles_ReturnsOnlyTheHoles()
    {
        var set = new ByteRangeSet();
        set.Add(new ByteRange(0, 10));
        set.Add(new ByteRange(20, 10));

        var missing = set.Missing(new ByteRange(5, 40));

        Assert.Equal([new ByteRange(10, 10), new ByteRange(30, 15)], missing);
        Assert.True(set.Contains(new ByteRange(20, 10)));
        Assert.False(set.Contains(new ByteRange(9, 2)));
        Assert.Equal(10, set.Prefix);
    }

    [Fact]
    public void Remove_MiddleOfARange_SplitsIt()
    {
        var set = new ByteRangeSet();
        set.Add(new ByteRange(0, 100));

        set.Remove(new ByteRange(40, 20));

        Assert.Equal([new ByteRange(0, 40), new ByteRange(60, 40)], set.Ranges);
        Assert.Equal(80, set.TotalBytes);
        Assert.Equal([new ByteRange(40, 20)], set.Missing(new ByteRange(0, 100)));
    }
}
