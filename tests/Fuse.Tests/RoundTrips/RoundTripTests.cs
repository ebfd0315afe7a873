using System.Globalization;
using PluggableSnapshotter.Fuse.InMemory;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.RoundTrips;

/// <summary>
/// Requests the kernel need not send: OPEN and RELEASE of a read-only mount (zero-message opens), OPENDIR and
/// RELEASEDIR likewise, INTERRUPTs resent while a callback runs; and GETXATTR, which it must keep sending. Counted with <see cref="FuseOperationCounts"/>, hence alone in their collection (root only).
/// </summary>
[Collection(OperationCountsCollection.Name)]
public sealed class RoundTripTests
{
    private static readonly FuseMountOptions DeviceTransport = new() { Transport = FuseTransport.Device };

    [RootOnlyFact]
    public async Task Open_ReadOnlyMountWithKeptCache_OneOpenThenNoOpenReleaseOrRead()
    {
        var root = new MemoryDirectory();
        CountingFile[] files = Enumerable.Range(0, 5)
            .Select(i => root.Add($"f{i}", new CountingFile(Enumerable.Repeat((byte)('a' + i), 10_000).ToArray())))
            .ToArray();
        await using TestMount mount = await TestMount.StartAsync(root, DeviceTransport);
        var before = Snapshot();

        for (int pass = 0; pass < 2; pass++)
        {
            for (int i = 0; i < files.Length; i++)
            {
                Assert.Equal(new string((char)('a' + i), 10_000), await File.ReadAllTextAsync(mount.PathOf($"f{i}")));
            }
        }

        var after = Snapshot();
        // The first OPEN is answered ENOSYS; the kernel opens every later file itself and releases nothing.
        Assert.Equal(1, Delta(before, after, "open"));
        Assert.Equal(0, Delta(before, after, "release"));
        // The page cache survived the second opens (a zero-message open keeps it): each file was READ once, in pass one.
        Assert.All(files, file => Assert.Equal(1, file.Reads));
        Assert.Equal(files.Sum(file => file.Reads), Delta(before, after, "read"));
    }

    [RootOnlyFact]
    public async Task Open_WithoutDefaultPermissions_EveryOpenReachesTheServer()
    {
        var root = new MemoryDirectory();
        root.AddFile("f", "content"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, DeviceTransport with { DefaultPermissions = false });
        var before = Snapshot();

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal("content", await File.ReadAllTextAsync(mount.PathOf("f")));
        }

        // The server checks modes at OPEN itself here, so it must keep seeing them; RELEASE follows close(2) a moment later.
        Assert.Equal(3, Delta(before, Snapshot(), "open"));
        for (long deadline = Environment.TickCount64 + 5000; Delta(before, Snapshot(), "release") < 3 && Environment.TickCount64 < deadline;)
        {
            await Task.Delay(10);
        }
        Assert.Equal(3, Delta(before, Snapshot(), "release"));
    }

    [RootOnlyFact]
    public async Task Opendir_MountWithKeptCacheAndDefaultPermissions_OneOpendirThenNoneAndEveryListingWhole()
    {
        var root = new MemoryDirectory();
        var expected = new string[3][];
        for (int d = 0; d < expected.Length; d++)
        {
            // Enough names that a listing takes several READDIRs, each listed again from the node (no handle).
            MemoryDirectory directory = root.AddDirectory($"d{d}");
            expected[d] = Enumerable.Range(0, 400 * (d + 1)).Select(i => $"entry-with-a-longish-name-{i:D5}").ToArray();
            foreach (string name in expected[d]) directory.AddFile(name, "x"u8.ToArray());
        }
        await using TestMount mount = await TestMount.StartAsync(root, DeviceTransport);
        var before = Snapshot();

        for (int pass = 0; pass < 2; pass++)
        {
            for (int d = 0; d < expected.Length; d++)
            {
                string[] listed = Directory.GetFileSystemEntries(mount.PathOf($"d{d}")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;
                Assert.Equal(expected[d], listed);
            }
        }

        var after = Snapshot();
        // The first OPENDIR is answered ENOSYS; the kernel opens every later directory itself and releases none.
        Assert.Equal(1, Delta(before, after, "opendir"));
        Assert.Equal(0, Delta(before, after, "releasedir"));
        Assert.True(Delta(before, after, "readdir") + Delta(before, after, "readdirplus") > expected.Length, "no listing took more than one READDIR");
    }

    [RootOnlyFact]
    public async Task Opendir_WithoutDefaultPermissions_EveryOpendirReachesTheServer()
    {
        var root = new MemoryDirectory();
        root.AddDirectory("d").AddFile("f", "content"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, DeviceTransport with { DefaultPermissions = false });
        var before = Snapshot();

        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(["f"], Directory.GetFileSystemEntries(mount.PathOf("d")).Select(Path.GetFileName));
        }

        // The server checks modes at OPENDIR itself here, so it must keep seeing them.
        Assert.Equal(3, Delta(before, Snapshot(), "opendir"));
    }

    [RootOnlyFact]
    public async Task Getxattr_TreeWithoutXattrs_EveryCallReachesTheServerAndFindsNoData()
    {
        var root = new MemoryDirectory();
        for (int i = 0; i < 4; i++) root.AddFile($"f{i}", "content"u8.ToArray());
        await using TestMount mount = await TestMount.StartAsync(root, DeviceTransport);
        var before = Snapshot();

        // Never switched off for the mount (ENOSYS): getxattr(2) would then fail EOPNOTSUPP, through overlayfs too, and
        // containerd's diff takes only ENODATA as "none".
        string script = """
            import errno, os, sys
            for _ in range(2):
                for path in sys.argv[1:]:
                    try:
                        os.getxattr(path, "security.capability")
                        print("present")
                    except OSError as e:
                        print(errno.errorcode[e.errno])
                    print(os.listxattr(path))
            """;
        string output = await Tool.CheckedAsync("python3", ["-c", script, .. Enumerable.Range(0, 4).Select(i => mount.PathOf($"f{i}"))]);

        var after = Snapshot();
        Assert.Equal(string.Concat(Enumerable.Repeat("ENODATA\n[]\n", 8)), output);
        Assert.Equal(8, Delta(before, after, "getxattr"));
        Assert.Equal(8, Delta(before, after, "listxattr"));
    }

    [RootOnlyFact]
    public async Task KillInt_ReaderWhoseReadIsInASynchronousCallback_OneInterruptAndTheReadCompletes()
    {
        var root = new MemoryDirectory();
        SynchronouslyBlockingFile blocking = root.Add("blocking", new SynchronouslyBlockingFile(new byte[8192]));
        await using TestMount mount = await TestMount.StartAsync(root, DeviceTransport with { Workers = 2 });
        var before = Snapshot();

        using System.Diagnostics.Process reader = Tool.Start("python3", "-c", DirectReadScript.Source, mount.PathOf("blocking"));
        reader.StandardInput.Close();
        Assert.Equal("reading", await reader.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit));
        await blocking.Entered.Task.WaitAsync(Tool.HangLimit);
        await Tool.CheckedAsync("kill", "-INT", reader.Id.ToString(CultureInfo.InvariantCulture));
        // The callback keeps its worker a while: answering the interrupt EAGAIN would have the other worker receive it
        // again and again meanwhile (thousands of times in 300 ms).
        await Task.Delay(300);
        blocking.Release();

        ProcessResult result = await Tool.WaitAsync(reader);
        Assert.Equal("result 4096 0\n", result.Text); // never parked, so never cancelled: the read completes
        Assert.Equal(1, Delta(before, Snapshot(), "interrupt"));
    }

    private static Dictionary<string, long> Snapshot() =>
        FuseOperationCounts.Read().ToDictionary(count => count.Opcode, count => count.Answered);

    private static long Delta(Dictionary<string, long> before, Dictionary<string, long> after, string opcode) =>
        after.GetValueOrDefault(opcode) - before.GetValueOrDefault(opcode);
}
