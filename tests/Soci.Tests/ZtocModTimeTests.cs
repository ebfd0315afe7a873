namespace PluggableSnapshotter.Soci.Tests;

/// <summary>
/// A zTOC's mod_time keeps the tar's nanoseconds as SOCI's Go code writes them (time.MarshalText: RFC 3339, up to nine
/// fraction digits, trailing zeros trimmed; ../shared/vectors/README.md), so a lazily served tree can show them.
/// </summary>
public sealed class ZtocModTimeTests : IDisposable
{
    private readonly string _root = Directory.CreateDirectory(Path.Combine("/dev/shm", "soci-modtime-" + Guid.NewGuid().ToString("N"))).FullName;

    [Theory]
    [InlineData("1700000000.123456789", "2023-11-14T22:13:20.123456789Z")]
    [InlineData("1700000000.000000001", "2023-11-14T22:13:20.000000001Z")]
    [InlineData("1700000000.120000000", "2023-11-14T22:13:20.12Z")]
    [InlineData("1700000000", "2023-11-14T22:13:20Z")]
    public async Task Build_PaxMtimeWithNanoseconds_ModTimeAsGoMarshalsIt(string touched, string expected)
    {
        string tree = Directory.CreateDirectory(Path.Combine(_root, "tree")).FullName;
        File.WriteAllText(Path.Combine(tree, "f"), "x");
        Tool.Run("touch", tree, "-m", "-d", "@" + touched, "f");
        Tool.Run("tar", _root, "--format=pax", "-C", tree, "-cf", "layer.tar", "f");

        Ztoc ztoc = await LayerFile.BuildAsync(File.ReadAllBytes(Path.Combine(_root, "layer.tar")), LayerCompression.Uncompressed, 64 * 1024);

        Assert.Equal(expected, Assert.Single(ztoc.Files).ModTime);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
