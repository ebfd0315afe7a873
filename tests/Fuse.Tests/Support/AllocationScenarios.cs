using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>The allocation checks every transport must pass.</summary>
internal static class AllocationScenarios
{
    private const int ManyFiles = 4000;
    private const int FewFiles = 10;

    public static async Task GetattrAllocatesNothingAsync(FuseMountOptions options)
    {
        var root = new MemoryDirectory();
        MemoryDirectory directory = root.AddDirectory("d");
        for (int i = 0; i < ManyFiles; i++)
        {
            directory.AddFile($"f{i}", "x"u8.ToArray());
        }

        // Attribute cache off: every stat(1) call is a GETATTR round trip (names stay cached, so no LOOKUPs).
        await using TestMount mount = await TestMount.StartAsync(root, options with { AttributeTimeout = TimeSpan.Zero, EntryTimeout = TimeSpan.FromHours(1) });
        string many = StatScript(mount, ManyFiles);
        string few = StatScript(mount, FewFiles);
        await Tool.CheckedAsync("/bin/sh", "-c", many); // warm up: lookups, JIT, pools

        long manyBytes = await AllocatedDuringAsync(mount, many);
        long fewBytes = await AllocatedDuringAsync(mount, few);

        long perRequest = (manyBytes - fewBytes) / (ManyFiles - FewFiles);
        Assert.True(perRequest < 8, $"{manyBytes - fewBytes} bytes allocated for {ManyFiles - FewFiles} GETATTRs ({perRequest} per request)");
    }

    public static async Task ReadAllocatesNothingAsync(FuseMountOptions options, bool copying)
    {
        var content = new byte[16 * 1024 * 1024];
        new Random(5).NextBytes(content);
        var root = new MemoryDirectory();
        // MemoryFile replies from its own memory (INodeMemoryReader); CopyingFile fills a borrowed reply buffer.
        root.Add<MemoryNode>("data", copying ? new CopyingFile(content) : new MemoryFile(content));
        await using TestMount mount = await TestMount.StartAsync(root, options);
        string path = mount.PathOf("data");
        // O_DIRECT: every 64 KiB read is a READ request, none served from the page cache.
        string many = $"dd if={path} of=/dev/null iflag=direct bs=64k count=250 status=none";
        string few = $"dd if={path} of=/dev/null iflag=direct bs=64k count=10 status=none";
        Assert.Equal(Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(content)),
            (await Tool.CheckedAsync("sha256sum", path))[..64].ToUpperInvariant());
        await Tool.CheckedAsync("/bin/sh", "-c", many);

        long manyBytes = await AllocatedDuringAsync(mount, many);
        long fewBytes = await AllocatedDuringAsync(mount, few);

        long perRequest = (manyBytes - fewBytes) / 240;
        Assert.True(perRequest < 8, $"{manyBytes - fewBytes} bytes allocated for 240 READs ({perRequest} per request)");
    }

    // The same script text for every count, so the test process allocates the same to start it.
    private static string StatScript(TestMount mount, int count) =>
        $"cd {mount.PathOf("d")} && seq -f 'f%.0f' 0 {count - 1} | xargs stat -c '' > /dev/null";

    // Counts what the request loop allocates (process-wide counters would also see the test host and Process plumbing).
    private static async Task<long> AllocatedDuringAsync(TestMount mount, string script)
    {
        long before = mount.Mount.RequestLoopAllocatedBytes;
        await Tool.CheckedAsync("/bin/sh", "-c", script);
        return mount.Mount.RequestLoopAllocatedBytes - before;
    }
}
