using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

public class IdMapTests
{
    [Fact]
    public void FromLabels_Ranges_MapsIdsAndOverflows()
    {
        var map = IdMapLabels.Parse(new Dictionary<string, string>
        {
            [SnapshotLabels.UidMapping] = "0:100000:65536",
            [SnapshotLabels.GidMapping] = "0:200000:10,10:300000:5",
        })!;
        Assert.Equal(100000u, map.ToHostUid(0));
        Assert.Equal(101000u, map.ToHostUid(1000));
        Assert.Equal(65534u, map.ToHostUid(70000));
        Assert.Equal(300002u, map.ToHostGid(12));
        Assert.Equal((100000u, 200000u), map.HostRoot);
    }

    [Fact]
    public void FromLabels_None_IsNull()
    {
        Assert.Null(IdMapLabels.Parse(new Dictionary<string, string>()));
    }

    [Theory]
    [InlineData("0:100000", "0:1:1")]
    [InlineData("0:100000:0", "0:1:1")]
    [InlineData("a:1:1", "0:1:1")]
    [InlineData("0:4294967295:2", "0:1:1")]
    [InlineData("0:1:1", "")]
    public void FromLabels_Malformed_InvalidArgument(string uids, string gids)
    {
        var labels = new Dictionary<string, string> { [SnapshotLabels.UidMapping] = uids, [SnapshotLabels.GidMapping] = gids };
        Assert.Equal(SnapshotErrorKind.InvalidArgument, Assert.Throws<SnapshotterException>(() => IdMapLabels.Parse(labels)).Kind);
    }
}
