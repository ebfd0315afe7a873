using System.Security.Cryptography;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Tools;

/// <summary>cat, sha256sum, stat, readlink and direct reads of file content.</summary>
[Collection(SampleTreeCollection.Name)]
public sealed class ContentToolTests(SampleTreeFixture fixture)
{
    [RootOnlyFact]
    public async Task Cat_SmallFiles_ReturnsContent()
    {
        Assert.Equal("hello, fuse\n", await Tool.CheckedAsync("cat", fixture.Mount.PathOf("hello.txt")));
        Assert.Equal("leaf\n", await Tool.CheckedAsync("cat", fixture.Mount.PathOf("dir/deeper/leaf.txt")));
        Assert.Equal("", await Tool.CheckedAsync("cat", fixture.Mount.PathOf("empty")));
    }

    [RootOnlyFact]
    public async Task Sha256sum_LargeFile_MatchesContent()
    {
        string output = await Tool.CheckedAsync("sha256sum", fixture.Mount.PathOf("large.bin"));

        Assert.StartsWith(Convert.ToHexStringLower(SHA256.HashData(SampleTree.Large)), output);
    }

    [RootOnlyFact]
    public async Task Stat_EachKind_ReportsTypeSizeModeAndDevice()
    {
        string root = fixture.Mount.Root;
        string output = await Tool.CheckedAsync("stat", "-c", "%n|%F|%s|%a|%u|%g|%t:%T|%h",
            $"{root}/hello.txt", $"{root}/dir", $"{root}/link-to-hello", $"{root}/null-like", $"{root}/gone", $"{root}/pipe");

        Assert.Equal(
            [
                $"{root}/hello.txt|regular file|12|644|0|0|0:0|1",
                $"{root}/dir|directory|4096|755|0|0|0:0|3",
                $"{root}/link-to-hello|symbolic link|9|777|0|0|0:0|1",
                $"{root}/null-like|character special file|0|666|0|0|1:3|1",
                $"{root}/gone|character special file|0|0|0|0|0:0|1",
                $"{root}/pipe|fifo|0|644|0|0|0:0|1",
            ],
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [RootOnlyFact]
    public async Task Stat_SameFileTwice_KeepsInodeNumber()
    {
        string first = await Tool.CheckedAsync("stat", "-c", "%i", fixture.Mount.PathOf("dir/deeper/leaf.txt"));
        string second = await Tool.CheckedAsync("stat", "-L", "-c", "%i", fixture.Mount.PathOf("dir/deeper/leaf.txt"));

        Assert.Equal(first, second);
        Assert.NotEqual("0\n", first);
    }

    [RootOnlyFact]
    public async Task Readlink_Symlinks_ReturnTargets()
    {
        Assert.Equal("hello.txt\n", await Tool.CheckedAsync("readlink", fixture.Mount.PathOf("link-to-hello")));
        Assert.Equal("/nonexistent/target\n", await Tool.CheckedAsync("readlink", fixture.Mount.PathOf("dangling")));
        Assert.Equal("hello, fuse\n", await Tool.CheckedAsync("cat", fixture.Mount.PathOf("link-to-hello")));
    }

    [RootOnlyFact]
    public void Read_LargeFileAtRandomOffsets_MatchesContent()
    {
        byte[] expected = SampleTree.Large;
        var random = new Random(7);
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(fixture.Mount.PathOf("large.bin"));
        var buffer = new byte[3 * 1024 * 1024];
        for (int i = 0; i < 200; i++)
        {
            long offset = random.NextInt64(expected.Length + 100L);
            int size = random.Next(1, buffer.Length);
            int read = RandomAccess.Read(handle, buffer.AsSpan(0, size), offset);

            int available = (int)Math.Clamp(expected.Length - offset, 0, size);
            Assert.Equal(available, read);
            Assert.True(buffer.AsSpan(0, read).SequenceEqual(expected.AsSpan((int)Math.Min(offset, expected.Length), available)), $"bytes differ at offset {offset}");
        }
    }

    [RootOnlyFact]
    public async Task Write_ReadOnlyTree_FailsWithReadOnlyFileSystem()
    {
        ProcessResult touch = await Tool.RunAsync("touch", fixture.Mount.PathOf("new-file"));
        ProcessResult append = await Tool.ShellAsync($"echo x >> '{fixture.Mount.PathOf("hello.txt")}'");

        Assert.NotEqual(0, touch.ExitCode);
        Assert.Contains("Read-only file system", touch.Error);
        Assert.Contains("Read-only file system", append.Error);
    }

    [RootOnlyFact]
    public async Task Statfs_Mount_ReportsFuseTypeAndNameLength()
    {
        string output = await Tool.CheckedAsync("stat", "-f", "-c", "%T %l", fixture.Mount.Root);

        Assert.Equal("fuseblk 255\n", output); // GNU stat names FUSE_SUPER_MAGIC "fuseblk"
    }
}
