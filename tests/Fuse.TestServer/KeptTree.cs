using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.TestServer;

/// <summary>
/// The tree the keeper tests serve: the same names, order and content in every process (seeded content), so a
/// resumed server's walk numbers the nodes as its killed predecessor did. "stall.bin" can be made to hold its
/// READs until the process dies, leaving a request read and never answered.
/// </summary>
public static class KeptTree
{
    public const string StalledFile = "stall.bin";
    public const int Directories = 4;
    public const int FilesPerDirectory = 8;

    /// <summary>Relative paths of the regular files with their content (the stalled file excluded).</summary>
    public static IReadOnlyList<(string Path, byte[] Content)> Files()
    {
        var files = new List<(string, byte[])>();
        for (int d = 0; d < Directories; d++)
        {
            for (int f = 0; f < FilesPerDirectory; f++)
            {
                var content = new byte[1 + (d * 7919 + f * 104729) % 300_000];
                new Random(d * 1000 + f).NextBytes(content);
                files.Add(($"d{d}/f{f}.bin", content));
            }
        }

        return files;
    }

    public static byte[] StalledContent()
    {
        var content = new byte[64 * 1024];
        new Random(4242).NextBytes(content);
        return content;
    }

    /// <param name="onStall">Null: "stall.bin" answers; otherwise called when a READ of it arrives, which then waits for the process to die.</param>
    public static MemoryDirectory Build(Action? onStall)
    {
        var root = new MemoryDirectory();
        foreach ((string path, byte[] content) in Files())
        {
            string[] parts = path.Split('/');
            MemoryDirectory directory = root.Find(parts[0]) as MemoryDirectory ?? root.AddDirectory(parts[0]);
            directory.AddFile(parts[1], content);
        }

        root.Add(StalledFile, new StallingFile(StalledContent(), onStall));
        root.AddSymlink("link", "d0/f0.bin");
        return root;
    }
}
