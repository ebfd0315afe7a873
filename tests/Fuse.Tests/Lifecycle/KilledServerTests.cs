using System.Diagnostics;
using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>A serving process killed outright leaves a dead mount; the startup cleanup must find and remove it (root only).</summary>
public sealed class KilledServerTests
{
    [RootOnlyFact]
    public async Task ServerKilled_MountReportsEnotconnAndCleanupRemovesIt()
    {
        DirectoryInfo parent = Directory.CreateTempSubdirectory("fuse-tests-killed-");
        string mountPoint = Directory.CreateDirectory(Path.Combine(parent.FullName, "layer")).FullName;
        string server = Path.Combine(AppContext.BaseDirectory, "PluggableSnapshotter.Fuse.TestServer.dll");
        using Process process = Tool.Start("dotnet", server, mountPoint);
        try
        {
            Assert.Equal("READY", await process.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit));
            Assert.Equal("hello from a child process\n", await File.ReadAllTextAsync(Path.Combine(mountPoint, "hello.txt")));
            Assert.False(FuseMountCleanup.IsDisconnected(mountPoint));

            process.Kill();
            await process.WaitForExitAsync().WaitAsync(Tool.HangLimit);

            Assert.True(FuseMountCleanup.IsDisconnected(mountPoint));
            ProcessResult stat = await Tool.RunAsync("ls", mountPoint);
            Assert.Contains("Transport endpoint is not connected", stat.Error);

            IReadOnlyList<string> cleaned = await FuseMountCleanup.CleanupDisconnectedAsync(parent.FullName, CancellationToken.None);

            Assert.Equal([mountPoint], cleaned);
            Assert.False(FuseMountCleanupProbe.IsMounted(mountPoint));
            Assert.False(FuseMountCleanup.IsDisconnected(mountPoint));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            if (FuseMountCleanupProbe.IsMounted(mountPoint))
            {
                FuseMountCleanup.Unmount(mountPoint, UnmountMode.Force);
            }

            parent.Delete(recursive: true);
        }
    }

    [RootOnlyFact]
    public async Task CleanupDisconnected_LiveMount_LeavesItAlone()
    {
        DirectoryInfo parent = Directory.CreateTempSubdirectory("fuse-tests-live-");
        string mountPoint = Directory.CreateDirectory(Path.Combine(parent.FullName, "layer")).FullName;
        try
        {
            await using (FuseMount mount = await FuseMount.MountAsync(mountPoint, new InMemory.MemoryDirectory(), null, null, CancellationToken.None))
            {
                IReadOnlyList<string> cleaned = await FuseMountCleanup.CleanupDisconnectedAsync(parent.FullName, CancellationToken.None);

                Assert.Empty(cleaned);
                Assert.True(FuseMountCleanupProbe.IsMounted(mountPoint));
            }
        }
        finally
        {
            parent.Delete(recursive: true);
        }
    }
}
