using Microsoft.Extensions.Logging.Abstractions;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>
/// A daemon that starts a keeper makes its listening socket first and hands it over, so it need not wait for the new
/// process: calls made before the keeper serves wait in the socket's backlog and are answered once it does.
/// </summary>
public sealed class KeeperListenerTests
{
    [Fact]
    public async Task ServeAsync_CallMadeBeforeTheKeeperServes_IsAnsweredOnceItServesEvenThroughSignals()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-keeper-listen-");
        try
        {
            string path = Path.Combine(directory.FullName, "keeper.sock");
            var client = new FuseKeeperClient(path) { Timeout = TimeSpan.FromSeconds(30) };
            using var stop = new CancellationTokenSource();
            using var listener = FuseKeeper.Listen(path);

            Task<IReadOnlyList<KeptConnection>> early = client.ListAsync(CancellationToken.None);
            await Task.Delay(100);
            // Child processes ending meanwhile send SIGCHLD, which cuts a wait in poll(2) short: the call must wait on.
            for (var i = 0; i < 30; i++)
            {
                using var child = System.Diagnostics.Process.Start("/bin/true")!;
                await child.WaitForExitAsync();
            }
            await Task.Delay(100);
            Assert.False(early.IsCompleted, $"nothing serves the socket yet, so the call must still wait; it ended {early.Status}: {early.Exception?.InnerException?.Message}");

            Task<bool> keeper = FuseKeeper.ServeAsync(listener, path, NullLogger.Instance, stop.Token);
            Assert.Empty(await early.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(Environment.ProcessId, await client.PingAsync(CancellationToken.None));

            await stop.CancelAsync();
            Assert.True(await keeper.WaitAsync(TimeSpan.FromSeconds(30)));
            Assert.Equal(0, await client.PingAsync(CancellationToken.None));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Listen_StaleSocketFileOfADeadKeeper_IsReplacedWithMode0600AndOutlivesTheListener()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-keeper-listen-");
        try
        {
            string path = Path.Combine(directory.FullName, "keeper.sock");
            File.WriteAllText(path, "stale");

            var listener = FuseKeeper.Listen(path);

            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            Assert.True(listener.IsBound);
            // The daemon disposes its copy after handing the listener to the keeper: the keeper's address must stay.
            listener.Dispose();
            Assert.True(File.Exists(path), "disposing the daemon's copy of the listener removed the keeper's socket file");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Listen_PathNearTheUnixSocketLimit_Binds()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-keeper-listen-");
        try
        {
            // 104 bytes in all: the final name fits in sun_path (108), a temporary name longer than it would not.
            string folder = Path.Join(directory.FullName, new string('d', 104 - directory.FullName.Length - "//x/keeper.sock".Length), "x");
            Directory.CreateDirectory(folder);
            string path = Path.Join(folder, "keeper.sock");
            Assert.Equal(104, path.Length);

            using var listener = FuseKeeper.Listen(path);

            Assert.True(File.Exists(path));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }
}
