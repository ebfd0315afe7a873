using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.Host.Tests.Fixtures;

public sealed class RootfsListingTests : IDisposable
{
    private readonly DirectoryInfo _left = Directory.CreateTempSubdirectory("psnap-listing-");
    private readonly DirectoryInfo _right = Directory.CreateTempSubdirectory("psnap-listing-");

    public void Dispose()
    {
        _left.Delete(recursive: true);
        _right.Delete(recursive: true);
    }

    private static void Populate(string root)
    {
        Directory.CreateDirectory(Path.Combine(root, "etc"));
        File.WriteAllText(Path.Combine(root, "etc", "message"), "hello\n");
        File.CreateSymbolicLink(Path.Combine(root, "etc", "link"), "message");
        Assert.Equal(0, Mono.Unix.Native.Syscall.link(Path.Combine(root, "etc", "message"), Path.Combine(root, "etc", "hard")));
    }

    [Fact]
    public void Compare_IdenticalTrees_ReturnsNoDifferences()
    {
        Populate(_left.FullName);
        Populate(_right.FullName);

        var differences = RootfsListing.Compare(RootfsListing.Capture(_left.FullName), RootfsListing.Capture(_right.FullName));

        Assert.Empty(differences);
    }

    [Fact]
    public void Capture_TreeWithLinks_RecordsTargetsHashesAndLinkCounts()
    {
        Populate(_left.FullName);

        var byPath = RootfsListing.Capture(_left.FullName).ToDictionary(e => e.Path);

        Assert.Equal("dir", byPath["/"].Type);
        Assert.Equal("message", byPath["/etc/link"].LinkTarget);
        Assert.Equal("symlink", byPath["/etc/link"].Type);
        Assert.Equal(2, byPath["/etc/message"].LinkCount);
        Assert.Equal(byPath["/etc/message"].Sha256, byPath["/etc/hard"].Sha256);
        Assert.Equal("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03", byPath["/etc/message"].Sha256);
    }

    [Fact]
    public void Compare_ChangedModeContentAndExtraFile_ReportsEachDifference()
    {
        Populate(_left.FullName);
        Populate(_right.FullName);
        File.SetUnixFileMode(Path.Combine(_right.FullName, "etc"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.Delete(Path.Combine(_right.FullName, "etc", "hard"));
        File.WriteAllText(Path.Combine(_right.FullName, "etc", "extra"), "x");

        var differences = RootfsListing.Compare(RootfsListing.Capture(_left.FullName), RootfsListing.Capture(_right.FullName));

        Assert.Contains(differences, d => d.StartsWith("differs: /etc\n", StringComparison.Ordinal) && d.Contains("0700", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("missing: /etc/hard ", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("unexpected: /etc/extra ", StringComparison.Ordinal));
        Assert.Contains(differences, d => d.StartsWith("differs: /etc/message\n", StringComparison.Ordinal)); // nlink 2 -> 1
        Assert.Equal(4, differences.Count);
    }
}
