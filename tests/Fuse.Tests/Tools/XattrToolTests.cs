using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Tools;

/// <summary>getfattr and python's os.listxattr/getxattr, including size probes and ERANGE.</summary>
[Collection(SampleTreeCollection.Name)]
public sealed class XattrToolTests(SampleTreeFixture fixture)
{
    [RootOnlyFact]
    public async Task Getfattr_TaggedFile_DumpsEveryNamespace()
    {
        string output = await Tool.CheckedAsync("getfattr", "-d", "-m", "-", "--absolute-names", fixture.Mount.PathOf("tagged.txt"));

        Assert.Contains("user.color=\"blue\"", output);
        Assert.Contains("trusted.overlay.opaque=\"y\"", output);
        Assert.Contains($"user.big=\"{new string('x', 3000)}\"", output);
    }

    [RootOnlyFact]
    public async Task Getfattr_MissingAttribute_ReportsNoSuchAttribute()
    {
        ProcessResult result = await Tool.RunAsync("getfattr", "-n", "user.missing", fixture.Mount.PathOf("hello.txt"));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("No such attribute", result.Error);
    }

    [RootOnlyFact]
    public async Task PythonListxattr_TaggedAndPlainFiles_ListNames()
    {
        string script = "import os,sys; print(sorted(os.listxattr(sys.argv[1]))); print(os.listxattr(sys.argv[2]))";
        string output = await Tool.CheckedAsync("python3", "-c", script, fixture.Mount.PathOf("tagged.txt"), fixture.Mount.PathOf("hello.txt"));

        Assert.Equal("['trusted.overlay.opaque', 'user.big', 'user.color']\n[]\n", output);
    }

    [RootOnlyFact]
    public async Task Getxattr_SizeProbeAndSmallBuffer_ReturnLengthThenErange()
    {
        // Calls getxattr(2)/listxattr(2) directly: size 0 probes the length, a short buffer must fail with ERANGE.
        string script = """
            import ctypes, sys
            libc = ctypes.CDLL(None, use_errno=True)
            path = sys.argv[1].encode()
            probe = libc.getxattr(path, b"user.color", None, 0)
            buf = ctypes.create_string_buffer(2)
            short = libc.getxattr(path, b"user.color", buf, 2)
            short_errno = ctypes.get_errno()
            full = ctypes.create_string_buffer(16)
            got = libc.getxattr(path, b"user.color", full, 16)
            list_probe = libc.listxattr(path, None, 0)
            list_short = libc.listxattr(path, ctypes.create_string_buffer(4), 4)
            list_errno = ctypes.get_errno()
            print(probe, short, short_errno, got, full.raw[:got].decode(), list_probe, list_short, list_errno)
            """;
        string output = await Tool.CheckedAsync("python3", "-c", script, fixture.Mount.PathOf("tagged.txt"));

        int listLength = "trusted.overlay.opaque\0user.big\0user.color\0".Length;
        Assert.Equal($"4 -1 34 4 blue {listLength} -1 34\n", output);
    }
}
