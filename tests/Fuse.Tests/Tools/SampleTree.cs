using System.Text;
using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Tools;

/// <summary>The tree the tool tests mount: every node kind, xattrs, a large file and a 100k-entry directory.</summary>
internal static class SampleTree
{
    public const int LargeDirectoryEntries = 100_000;

    public static readonly byte[] Hello = Encoding.UTF8.GetBytes("hello, fuse\n");

    public static readonly byte[] Large = CreateLarge();

    public static MemoryDirectory Create()
    {
        var root = new MemoryDirectory();
        root.AddFile("hello.txt", Hello);
        root.AddFile("empty", Array.Empty<byte>());
        root.AddFile("script.sh", Encoding.UTF8.GetBytes("#!/bin/sh\necho hi\n"), 0x1ED);
        root.AddFile("large.bin", Large);
        root.AddSymlink("link-to-hello", "hello.txt");
        root.AddSymlink("dangling", "/nonexistent/target");
        root.AddFifo("pipe");
        root.AddCharacterDevice("null-like", 1, 3);
        root.AddWhiteout("gone");
        MemoryDirectory nested = root.AddDirectory("dir");
        nested.AddDirectory("deeper").AddFile("leaf.txt", Encoding.UTF8.GetBytes("leaf\n"));
        nested.AddFile("naïve ünïcode.txt", Encoding.UTF8.GetBytes("utf-8 name\n"));
        MemoryFile tagged = root.AddFile("tagged.txt", Encoding.UTF8.GetBytes("with xattrs\n"));
        tagged.SetXattr("user.color", "blue");
        tagged.SetXattr("user.big", new string('x', 3000));
        tagged.SetXattr("trusted.overlay.opaque", "y");
        MemoryDirectory many = root.AddDirectory("many");
        for (int i = 0; i < LargeDirectoryEntries; i++)
        {
            many.Add($"f{i:D6}", new MemoryFile(Array.Empty<byte>()));
        }

        return root;
    }

    private static byte[] CreateLarge()
    {
        var content = new byte[48 * 1024 * 1024 + 12345]; // not a multiple of any page or request size
        new Random(4242).NextBytes(content);
        return content;
    }
}
