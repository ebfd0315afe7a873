using System.Text;

namespace PluggableSnapshotter.TestSupport.Images;

/// <summary>Ready-made images shared by the test projects.</summary>
public static class TestImages
{
    /// <summary>The file <see cref="Busybox"/> adds; its Cmd prints it.</summary>
    public const string MessagePath = "/etc/message";

    /// <summary>Busybox plus a second layer holding <paramref name="message"/> at <see cref="MessagePath"/>; Cmd is <c>cat</c> of it.</summary>
    public static TestImageBuilder Busybox(string workDirectory, string message) =>
        new TestImageBuilder(workDirectory)
            .AddBusyboxLayer()
            .AddLayer(l => l.File(MessagePath, message))
            .WithCommand("/bin/cat", MessagePath);

    /// <summary>
    /// Busybox plus two layers exercising what appliers get wrong: nested directories
    /// with odd modes and owners, setuid/setgid/sticky bits, a large file, symlinks, hard
    /// links, character and block devices, a FIFO, xattrs; then in the top layer
    /// whiteouts of a file and a directory, an opaque directory with new content, a
    /// replaced file and a directory re-created with another mode.
    /// </summary>
    public static TestImageBuilder Layered(string workDirectory) =>
        new TestImageBuilder(workDirectory)
            .AddBusyboxLayer()
            .AddLayer(l => l
                .Directory("/data", (UnixFileMode)0b111_101_000, uid: 1000, gid: 1000)
                .Directory("/data/nested")
                .Directory("/data/nested/deeper", (UnixFileMode)0b111_000_000)
                .File("/data/nested/deeper/file", "deep\n", uid: 1000, gid: 100)
                .File("/data/setuid", "#!/bin/sh\n", (UnixFileMode)0b100_111_101_101)
                .File("/data/setgid", "g\n", (UnixFileMode)0b010_110_100_100)
                .Directory("/data/sticky", Modes.StickyWorldWritable)
                .File("/data/big", LargeContent())
                .File("/data/original", "linked\n")
                .HardLink("/data/hardlink", "/data/original")
                .Symlink("/data/relative-link", "nested/deeper/file")
                .Symlink("/data/absolute-link", "/etc/passwd")
                .Symlink("/data/dangling-link", "/does/not/exist")
                .CharacterDevice("/data/null", 1, 3)
                .BlockDevice("/data/block", 7, 200, (UnixFileMode)0b110_110_000)
                .Fifo("/data/fifo")
                .File("/data/with-xattr", "x\n", xattrs: new Dictionary<string, string> { ["user.pluggable.test"] = "value" })
                .File("/data/to-delete", "gone\n")
                .Directory("/data/dir-to-delete")
                .File("/data/dir-to-delete/inside", "gone too\n")
                .Directory("/data/opaque")
                .File("/data/opaque/hidden", "lower\n")
                .File("/data/replaced", "old\n")
                .Directory("/data/remodeled", Modes.Directory))
            .AddLayer(l => l
                .Whiteout("/data/to-delete")
                .Whiteout("/data/dir-to-delete")
                .OpaqueDirectory("/data/opaque")
                .File("/data/opaque/visible", "upper\n")
                .File("/data/replaced", "new content, longer than before\n", (UnixFileMode)0b110_000_000)
                .Directory("/data/remodeled", (UnixFileMode)0b111_000_000, uid: 1, gid: 1)
                .File("/data/added-on-top", "top\n"))
            .WithCommand("/bin/sh");

    // 3 MiB of varied text: spans many chunks of any chunked reader.
    private static byte[] LargeContent()
    {
        var text = new StringBuilder();
        for (var i = 0; text.Length < 3 * 1024 * 1024; i++)
        {
            text.Append("line ").Append(i).Append(" of a large file in a test layer\n");
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }
}
