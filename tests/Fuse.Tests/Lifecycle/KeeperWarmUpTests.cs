using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Lifecycle;

/// <summary>
/// A daemon warms its keeper up right after starting it (<see cref="FuseKeeperClient.WarmUpAsync"/>): every call a mount
/// makes, once, on a probe path, so the first real mount neither waits for the keeper nor compiles its calls; the probe
/// is released at once and nothing stays held.
/// </summary>
public sealed class KeeperWarmUpTests
{
    [Fact]
    public async Task WarmUpAsync_KeeperServes_AnswersTrueAndLeavesNothingHeld()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-keeper-warm-");
        using var stop = new CancellationTokenSource();
        string path = Path.Combine(directory.FullName, "keeper.sock");
        var client = new FuseKeeperClient(path) { Timeout = TimeSpan.FromSeconds(30) };
        using var listener = FuseKeeper.Listen(path);
        Task<bool> keeper = FuseKeeper.ServeAsync(listener, path, NullLogger.Instance, stop.Token);
        try
        {
            Assert.True(await client.WarmUpAsync(Path.Combine(directory.FullName, "probe"), CancellationToken.None));
            Assert.True(await client.WarmUpAsync(Path.Combine(directory.FullName, "probe"), CancellationToken.None)); // again: nothing left from the first

            Assert.Empty(await client.ListAsync(CancellationToken.None));
        }
        finally
        {
            await stop.CancelAsync();
            await keeper.WaitAsync(TimeSpan.FromSeconds(30));
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task WarmUpAsync_NoKeeper_AnswersFalse()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-keeper-warm-");
        try
        {
            var client = new FuseKeeperClient(Path.Combine(directory.FullName, "keeper.sock")) { Timeout = TimeSpan.FromSeconds(5) };

            Assert.False(await client.WarmUpAsync(Path.Combine(directory.FullName, "probe"), CancellationToken.None));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MountAsync_AfterWarmUp_IsDepositedBeforeItReturnsAndNamesItsPhases()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-keeper-warm-");
        using var stop = new CancellationTokenSource();
        string path = Path.Combine(directory.FullName, "keeper.sock");
        var client = new FuseKeeperClient(path) { Timeout = TimeSpan.FromSeconds(30) };
        using var listener = FuseKeeper.Listen(path);
        Task<bool> keeper = FuseKeeper.ServeAsync(listener, path, NullLogger.Instance, stop.Token);
        string mountPoint = Directory.CreateDirectory(Path.Combine(directory.FullName, "mnt")).FullName;
        try
        {
            Assert.True(await client.WarmUpAsync(Path.Combine(directory.FullName, "probe"), CancellationToken.None));
            var root = new MemoryDirectory();
            root.AddFile("hello.txt", "hi\n"u8.ToArray());

            FuseMount mount = await FuseMount.MountAsync(mountPoint, root, new FuseMountOptions { FsName = "warm-test", Keeper = client }, null, CancellationToken.None);
            await using (mount)
            {
                // The crash guarantee: the keeper holds the connection by the time the mount is handed out.
                Assert.True(mount.IsKept);
                Assert.Equal([mountPoint], (await client.ListAsync(CancellationToken.None)).Select(c => c.MountPoint));
                string phases = mount.Phases.ToString();
                foreach (string phase in new[] { "numbering", "keeper", "mount", "session", "INIT", "deposit" })
                {
                    Assert.Contains(phase + " ", phases, StringComparison.Ordinal);
                }

                Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(mountPoint, "hello.txt")));
            }

            Assert.Empty(await client.ListAsync(CancellationToken.None));
        }
        finally
        {
            await stop.CancelAsync();
            await keeper.WaitAsync(TimeSpan.FromSeconds(30));
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task MountAsync_KeeperStillStarting_WaitsForItAndIsDepositedBeforeItReturns()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-keeper-warm-");
        using var stop = new CancellationTokenSource();
        string path = Path.Combine(directory.FullName, "keeper.sock");
        var client = new FuseKeeperClient(path) { Timeout = TimeSpan.FromSeconds(30) };
        using var listener = FuseKeeper.Listen(path); // listening, as the daemon leaves it, but nobody answers yet
        string mountPoint = Directory.CreateDirectory(Path.Combine(directory.FullName, "mnt")).FullName;
        Task<bool>? keeper = null;
        Task<FuseMount>? mounting = null;
        try
        {
            var root = new MemoryDirectory();
            root.AddFile("hello.txt", "hi\n"u8.ToArray());
            mounting = FuseMount.MountAsync(mountPoint, root, new FuseMountOptions { FsName = "slow-keeper", Keeper = client }, null, CancellationToken.None);
            await Task.Delay(300);
            Assert.False(mounting.IsCompleted, "the mount returned before the keeper could hold its connection");

            keeper = FuseKeeper.ServeAsync(listener, path, NullLogger.Instance, stop.Token);
            FuseMount mount = await mounting.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(mount.IsKept);
            Assert.Equal([mountPoint], (await client.ListAsync(CancellationToken.None)).Select(c => c.MountPoint));
            Assert.True(mount.Phases.Of("keeper") >= TimeSpan.FromMilliseconds(250), mount.Phases.ToString());
        }
        finally
        {
            if (mounting is not null)
            {
                keeper ??= FuseKeeper.ServeAsync(listener, path, NullLogger.Instance, stop.Token); // a mount still waiting for the keeper ends
                await (await mounting.WaitAsync(TimeSpan.FromSeconds(60))).DisposeAsync();
            }

            await stop.CancelAsync();
            if (keeper is not null)
            {
                await keeper.WaitAsync(TimeSpan.FromSeconds(30));
            }

            directory.Delete(recursive: true);
        }
    }
}
