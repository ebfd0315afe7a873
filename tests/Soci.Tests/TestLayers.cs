namespace PluggableSnapshotter.Soci.Tests;

/// <summary>
/// Layers made with the real tools on a tmpfs: one tree (PAX records, long names, hard links, symlinks,
/// sparse-looking and empty files) archived as PAX and GNU tar, then compressed with `gzip -n`, plain
/// `gzip` (filename in the header), `pigz` in several members, or left uncompressed.
/// </summary>
public sealed class TestLayers : IDisposable
{
    public TestLayers()
    {
        Root = Directory.CreateDirectory(Path.Combine("/dev/shm", "soci-layers-" + Guid.NewGuid().ToString("N"))).FullName;
        string tree = Path.Combine(Root, "tree");
        WriteTree(tree);
        foreach (string format in new[] { "pax", "gnu" })
        {
            string tar = Path.Combine(Root, $"{format}.tar");
            var args = new List<string> { "--format", format, "--sort=name", "--owner=1234", "--group=5678", "-C", tree, "-cf", tar };
            if (format == "pax")
            {
                args.Insert(0, "--pax-option=SCHILY.xattr.user.note:=hello");
            }
            args.Add(".");
            Tool.Run("tar", Root, [.. args]);
            Tool.Shell(Root, $"gzip -n -c {format}.tar > {format}.gzip-n.tar.gz");
            Tool.Shell(Root, $"gzip -c {format}.tar > {format}.gzip-name.tar.gz");
            WriteMultiMember(tar, Path.Combine(Root, $"{format}.pigz-multi.tar.gz"));
        }
    }

    public string Root { get; }

    /// <summary>Every (layer file, compression) the tests run over.</summary>
    public static TheoryData<string, LayerCompression> Variants() => new()
    {
        { "pax.tar", LayerCompression.Uncompressed },
        { "pax.gzip-n.tar.gz", LayerCompression.Gzip },
        { "pax.gzip-name.tar.gz", LayerCompression.Gzip },
        { "pax.pigz-multi.tar.gz", LayerCompression.Gzip },
        { "gnu.tar", LayerCompression.Uncompressed },
        { "gnu.gzip-n.tar.gz", LayerCompression.Gzip },
        { "gnu.pigz-multi.tar.gz", LayerCompression.Gzip },
    };

    public byte[] Read(string name) => File.ReadAllBytes(Path.Combine(Root, name));

    public void Dispose() => Directory.Delete(Root, recursive: true);

    private static void WriteTree(string tree)
    {
        var random = new Random(6);
        string deep = Path.Combine(tree, "a-rather-long-directory-name-" + new string('d', 80), "and-another-level-" + new string('e', 90));
        Directory.CreateDirectory(deep);
        Directory.CreateDirectory(Path.Combine(tree, "etc"));
        File.WriteAllBytes(Path.Combine(deep, "file-with-a-long-name-" + new string('f', 120) + ".bin"), Bytes(random, 70_000));
        File.WriteAllText(Path.Combine(tree, "etc", "text.conf"), string.Concat(Enumerable.Range(0, 40_000).Select(i => $"line {i}\n")));
        File.WriteAllBytes(Path.Combine(tree, "random.bin"), Bytes(random, 600_000));
        var sparse = new byte[3_000_000];
        sparse[1_500_000] = 1;
        sparse[^1] = 2;
        File.WriteAllBytes(Path.Combine(tree, "sparse-looking.img"), sparse);
        File.WriteAllBytes(Path.Combine(tree, "empty"), []);
        File.WriteAllText(Path.Combine(tree, "unicodé ñame.txt"), "hi");
        File.CreateSymbolicLink(Path.Combine(tree, "etc", "link"), "text.conf");
        Tool.Run("ln", tree, "random.bin", "hard-link-to-random");
        File.SetLastWriteTimeUtc(Path.Combine(tree, "empty"), new DateTime(2024, 2, 3, 4, 5, 6, DateTimeKind.Utc).AddTicks(1234567));
    }

    private static byte[] Bytes(Random random, int length)
    {
        var b = new byte[length];
        random.NextBytes(b);
        return b;
    }

    /// <summary>Three pigz members over arbitrary cuts of the tar, concatenated (one gzip stream to readers).</summary>
    private static void WriteMultiMember(string tar, string output)
    {
        byte[] bytes = File.ReadAllBytes(tar);
        int[] cuts = [0, bytes.Length / 3 + 17, (2 * bytes.Length / 3) + 1001, bytes.Length];
        string dir = Path.GetDirectoryName(output)!;
        using var result = File.Create(output);
        for (int i = 0; i < 3; i++)
        {
            string part = Path.Combine(dir, $"part{i}");
            File.WriteAllBytes(part, bytes[cuts[i]..cuts[i + 1]]);
            Tool.Run("pigz", dir, "-n", "-f", part);
            using (var gz = File.OpenRead(part + ".gz"))
            {
                gz.CopyTo(result);
            }
            File.Delete(part + ".gz");
        }
    }
}
