using System.Net.Sockets;
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
        await using var rig = KeeperRig.Create();
        rig.Serve();

        Assert.True(await rig.Client.WarmUpAsync(rig.Probe, CancellationToken.None));
        Assert.True(await rig.Client.WarmUpAsync(rig.Probe, CancellationToken.None)); // again: nothing left from the first

        Assert.Empty(await rig.Client.ListAsync(CancellationToken.None));
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
        await using var rig = KeeperRig.Create();
        rig.Serve();
        Assert.True(await rig.Client.WarmUpAsync(rig.Probe, CancellationToken.None));

        FuseMount mount = await FuseMount.MountAsync(rig.MountPoint, HelloTree(), new FuseMountOptions { FsName = "warm-test", Keeper = rig.Client }, null, CancellationToken.None);
        await using (mount)
        {
            // The crash guarantee: the keeper holds the connection by the time the mount is handed out.
            Assert.True(mount.IsKept);
            Assert.Equal([rig.MountPoint], (await rig.Client.ListAsync(CancellationToken.None)).Select(c => c.MountPoint));
            string phases = mount.Phases.ToString();
            foreach (string phase in new[] { "numbering", "keeper", "mount", "session", "INIT", "deposit" })
            {
                Assert.Contains(phase + " ", phases, StringComparison.Ordinal);
            }

            Assert.Equal("hi\n", await File.ReadAllTextAsync(Path.Combine(rig.MountPoint, "hello.txt")));
        }

        Assert.Empty(await rig.Client.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task MountAsync_KeeperStillStarting_WaitsForItAndIsDepositedBeforeItReturns()
    {
        await using var rig = KeeperRig.Create(); // listening, as the daemon leaves it, but nobody answers yet
        Task<FuseMount> mounting = FuseMount.MountAsync(rig.MountPoint, HelloTree(), new FuseMountOptions { FsName = "slow-keeper", Keeper = rig.Client }, null, CancellationToken.None);
        try
        {
            await Task.Delay(300);
            Assert.False(mounting.IsCompleted, "the mount returned before the keeper could hold its connection");

            rig.Serve();
            FuseMount mount = await mounting.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.True(mount.IsKept);
            Assert.Equal([rig.MountPoint], (await rig.Client.ListAsync(CancellationToken.None)).Select(c => c.MountPoint));
            Assert.True(mount.Phases.Of("keeper") >= TimeSpan.FromMilliseconds(250), mount.Phases.ToString());
        }
        finally
        {
            rig.Serve(); // a mount still waiting for the keeper ends
            await (await mounting.WaitAsync(TimeSpan.FromSeconds(60))).DisposeAsync();
        }
    }

    private static MemoryDirectory HelloTree()
    {
        var root = new MemoryDirectory();
        root.AddFile("hello.txt", "hi\n"u8.ToArray());
        return root;
    }

    /// <summary>A keeper's listening socket in a temporary folder, a client of it and a mount point; served once <see cref="Serve"/> is called.</summary>
    private sealed class KeeperRig : IAsyncDisposable
    {
        private readonly DirectoryInfo _directory;
        private readonly CancellationTokenSource _stop = new();
        private readonly Socket _listener;
        private readonly string _path;
        private Task<bool>? _keeper;

        private KeeperRig(DirectoryInfo directory)
        {
            _directory = directory;
            _path = Path.Combine(directory.FullName, "keeper.sock");
            _listener = FuseKeeper.Listen(_path);
            Client = new FuseKeeperClient(_path) { Timeout = TimeSpan.FromSeconds(30) };
            MountPoint = Directory.CreateDirectory(Path.Combine(directory.FullName, "mnt")).FullName;
        }

        public FuseKeeperClient Client { get; }

        public string MountPoint { get; }

        public string Probe => Path.Combine(_directory.FullName, "probe");

        public static KeeperRig Create() => new(Directory.CreateTempSubdirectory("fuse-tests-keeper-warm-"));

        /// <summary>Starts serving (once; later calls do nothing).</summary>
        public void Serve() => _keeper ??= FuseKeeper.ServeAsync(_listener, _path, NullLogger.Instance, _stop.Token);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_keeper is not null)
            {
                await _keeper.WaitAsync(TimeSpan.FromSeconds(30));
            }

            _listener.Dispose();
            _stop.Dispose();
            _directory.Delete(recursive: true);
        }
    }
}
