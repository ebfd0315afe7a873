using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;

namespace PluggableSnapshotter.Fuse.Tests.Attributes;

/// <summary>
/// Times reach stat(2) to the nanosecond (fuse_attr's mtime + mtimensec), as containerd's applier keeps a layer's PAX
/// times: a lazily served layer must show the same. Root only: mounts for real.
/// </summary>
public sealed class NanosecondTimeTests
{
    private static readonly UnixTime Modified = new(1714979289, 123456789);

    [Fact]
    public async Task Stat_ModificationTimeWithNanoseconds_ReadsBackEveryNanosecond()
    {
        var root = new MemoryDirectory();
        root.Add("f", new MemoryFile("x"u8.ToArray()) { ModificationTime = Modified });
        await using TestMount mount = await TestMount.StartAsync(root);

        string times = await Tool.CheckedAsync("stat", "-c", "%.9Y %.9X %.9Z", mount.PathOf("f"));

        // Access and change times left unset read as the modification time.
        Assert.Equal("1714979289.123456789 1714979289.123456789 1714979289.123456789", times.Trim());
    }

    [Fact]
    public async Task Stat_DistinctAccessAndChangeTimes_EachKeepsItsNanoseconds()
    {
        var root = new MemoryDirectory();
        root.Add("f", new TimedFile { ModificationTime = Modified });
        await using TestMount mount = await TestMount.StartAsync(root);

        string times = await Tool.CheckedAsync("stat", "-c", "%.9Y %.9X %.9Z", mount.PathOf("f"));

        Assert.Equal("1714979289.123456789 1600000000.000000001 1700000000.999999999", times.Trim());
    }

    private sealed class TimedFile() : MemoryFile("x"u8.ToArray())
    {
        protected override FuseAttributes GetAttributes() =>
            base.GetAttributes() with { AccessTime = new UnixTime(1600000000, 1), ChangeTime = new UnixTime(1700000000, 999999999) };
    }
}
