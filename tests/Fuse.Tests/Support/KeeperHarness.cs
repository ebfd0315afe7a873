using System.Diagnostics;
using PluggableSnapshotter.Fuse.TestServer;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>
/// A keeper process and the serving processes of one mount (each a Fuse.TestServer child, so it can be killed
/// -9): disposing kills whatever still runs, unmounts and removes the directory, even after a failure.
/// </summary>
internal sealed class KeeperHarness : IAsyncDisposable
{
    private static readonly string ServerPath = Path.Combine(AppContext.BaseDirectory, "PluggableSnapshotter.Fuse.TestServer.dll");
    private readonly DirectoryInfo _directory;
    private readonly List<Process> _processes = [];

    private KeeperHarness(DirectoryInfo directory)
    {
        _directory = directory;
        MountPoint = Directory.CreateDirectory(Path.Combine(directory.FullName, "layer")).FullName;
        Socket = Path.Combine(directory.FullName, "keeper.sock");
        Keeper = new FuseKeeperClient(Socket);
    }

    public string MountPoint { get; }

    public string Socket { get; }

    public FuseKeeperClient Keeper { get; }

    public static async Task<KeeperHarness> StartAsync()
    {
        var harness = new KeeperHarness(Directory.CreateTempSubdirectory("fuse-tests-keeper-"));
        harness._processes.Add(Tool.Start("dotnet", ServerPath, "keeper", harness.Socket));
        var waited = Stopwatch.StartNew();
        while (await harness.Keeper.PingAsync(CancellationToken.None) == 0)
        {
            Assert.True(waited.Elapsed < Tool.HangLimit, "the keeper did not start");
            await Task.Delay(100);
        }

        return harness;
    }

    /// <summary>Starts a server of <see cref="KeptTree"/> and waits for its first line (MOUNTED or RESUMED).</summary>
    /// <param name="stall">Hold READs of the stalled file until killed.</param>
    /// <param name="otherTree">Serve the tree under another identity (fsname).</param>
    public async Task<(Process Server, string Status)> StartServerAsync(bool stall, bool otherTree = false)
    {
        Process server = stall ? Tool.Start("dotnet", ServerPath, "kept", MountPoint, Socket, "stall")
            : otherTree ? Tool.Start("dotnet", ServerPath, "kept", MountPoint, Socket, "other")
            : Tool.Start("dotnet", ServerPath, "kept", MountPoint, Socket);
        _processes.Add(server);
        string? status = await server.StandardOutput.ReadLineAsync().WaitAsync(Tool.HangLimit);
        return (server, status ?? $"exited: {await server.StandardError.ReadToEndAsync()}");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Process process in _processes)
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync();
            }

            process.Dispose();
        }

        if (FuseMountCleanupProbe.IsMounted(MountPoint))
        {
            FuseMountCleanup.Unmount(MountPoint, UnmountMode.Force);
        }

        _directory.Delete(recursive: true);
    }
}
