using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Tools;

/// <summary>ls, find and tar walk the mounted tree (root only: mounts for real).</summary>
[Collection(SampleTreeCollection.Name)]
public sealed class ListingToolTests(SampleTreeFixture fixture)
{
    private static readonly string[] TopLevel =
        ["dangling", "dir", "empty", "gone", "hello.txt", "large.bin", "link-to-hello", "many", "null-like", "pipe", "script.sh", "tagged.txt"];

    [RootOnlyFact]
    public async Task LsRecursive_SampleTree_ShowsEveryKindWithItsType()
    {
        string output = System.Text.RegularExpressions.Regex.Replace(
            await Tool.CheckedAsync("ls", "-lR", "--time-style=+", fixture.Mount.Root), " +", " ");

        Assert.Contains("-rw-r--r-- 1 root root 12 hello.txt", output);
        Assert.Contains("-rwxr-xr-x 1 root root 18 script.sh", output);
        Assert.Contains("lrwxrwxrwx 1 root root 9 link-to-hello -> hello.txt", output);
        Assert.Contains("prw-r--r-- 1 root root 0 pipe", output);
        Assert.Contains("crw-rw-rw- 1 root root 1, 3 null-like", output);
        Assert.Contains("c--------- 1 root root 0, 0 gone", output);
        Assert.Contains("leaf.txt", output);
        Assert.Contains("naïve ünïcode.txt", output);
        Assert.Contains("f099999", output);
    }

    [RootOnlyFact]
    public async Task Find_SampleTree_FindsEveryPathOnce()
    {
        string[] paths = (await Tool.CheckedAsync("find", fixture.Mount.Root, "-not", "-path", "*/many/*"))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(path => Path.GetRelativePath(fixture.Mount.Root, path))
            .Order(StringComparer.Ordinal)
            .ToArray();

        string[] expected = [".", .. TopLevel, "dir/deeper", "dir/deeper/leaf.txt", "dir/naïve ünïcode.txt"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), paths);
    }

    [RootOnlyFact]
    public async Task Find_TypeFilters_MatchNodeKinds()
    {
        string root = fixture.Mount.Root;
        Assert.Equal(["gone", "null-like"], Names(await Tool.CheckedAsync("find", root, "-maxdepth", "1", "-type", "c")));
        Assert.Equal(["pipe"], Names(await Tool.CheckedAsync("find", root, "-maxdepth", "1", "-type", "p")));
        Assert.Equal(["dangling", "link-to-hello"], Names(await Tool.CheckedAsync("find", root, "-maxdepth", "1", "-type", "l")));
    }

    [RootOnlyFact]
    public async Task TarCreate_SampleTree_ArchivesEveryEntryWithContent()
    {
        string root = fixture.Mount.Root;
        ProcessResult listing = await Tool.ShellAsync($"tar -c -C '{root}' --exclude=./many . | tar -tv");
        Assert.True(listing.ExitCode == 0, listing.Error);

        Assert.Contains(listing.Lines, line => line.StartsWith('-') && line.EndsWith("./hello.txt", StringComparison.Ordinal));
        Assert.Contains(listing.Lines, line => line.StartsWith('l') && line.EndsWith("./link-to-hello -> hello.txt", StringComparison.Ordinal));
        Assert.Contains(listing.Lines, line => line.StartsWith('c') && line.EndsWith("./gone", StringComparison.Ordinal));
        Assert.Contains(listing.Lines, line => line.StartsWith('p') && line.EndsWith("./pipe", StringComparison.Ordinal));
        Assert.Contains(listing.Lines, line => line.EndsWith("./dir/deeper/leaf.txt", StringComparison.Ordinal));

        ProcessResult extracted = await Tool.ShellAsync($"tar -c -C '{root}' ./large.bin | tar -xO ./large.bin | sha256sum");
        Assert.StartsWith(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(SampleTree.Large)), extracted.Text);
    }

    [RootOnlyFact]
    public void EnumerateDirectory_HundredThousandEntries_ListsEachNameOnce()
    {
        string many = fixture.Mount.PathOf("many");

        string[] names = Directory.EnumerateFileSystemEntries(many).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

        Assert.Equal(SampleTree.LargeDirectoryEntries, names.Length);
        Assert.Equal(Enumerable.Range(0, SampleTree.LargeDirectoryEntries).Select(i => $"f{i:D6}"), names);
    }

    [RootOnlyFact]
    public async Task LsCount_HundredThousandEntries_CountsAll()
    {
        ProcessResult result = await Tool.ShellAsync($"ls -f '{fixture.Mount.PathOf("many")}' | wc -l");

        Assert.Equal(SampleTree.LargeDirectoryEntries + 2, int.Parse(result.Text.Trim(), System.Globalization.CultureInfo.InvariantCulture)); // plus . and ..
    }

    private static string[] Names(string findOutput) =>
        findOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
}
