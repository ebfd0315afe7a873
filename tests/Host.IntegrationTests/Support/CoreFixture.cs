using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport.Mounts;

namespace PluggableSnapshotter.Host.IntegrationTests.Support;

/// <summary>An overlay snapshotter core on a fresh tmpfs with a scripted backend; disposal unmounts everything.</summary>
internal sealed class CoreFixture : IAsyncDisposable
{
    private readonly TmpfsDirectory _tmpfs;

    private CoreFixture(TmpfsDirectory tmpfs, ScriptedFileSystem backend, ISnapshotter snapshotter, SnapshotterOptions options)
    {
        _tmpfs = tmpfs;
        Backend = backend;
        Snapshotter = snapshotter;
        Options = options;
    }

    public ScriptedFileSystem Backend { get; }

    public ISnapshotter Snapshotter { get; private set; }

    public SnapshotterOptions Options { get; }

    public string Root => _tmpfs.Combine("root");

    public string SnapshotsDirectory => Path.Combine(Root, "snapshots");

    public static async Task<CoreFixture> CreateAsync(BackendCapabilities capabilities, SnapshotterOptions? options = null,
        Func<string, CancellationToken, SnapshotUsage>? measureUsage = null, ILogger<ChainPreparer>? chainLogger = null)
    {
        var tmpfs = await TmpfsDirectory.CreateAsync("core", CancellationToken.None, "256m");
        var backend = new ScriptedFileSystem(Directory.CreateDirectory(tmpfs.Combine("scratch")).FullName, capabilities);
        options ??= new SnapshotterOptions();
        var factory = measureUsage is null ? Factory() : new SnapshotterFactory(NullLoggerFactory.Instance, TimeProvider.System) { MeasureUsage = measureUsage };
        var snapshotter = await factory.CreateAsync(tmpfs.Combine("root"), Preparer(backend, options, chainLogger), options, CancellationToken.None);
        return new CoreFixture(tmpfs, backend, snapshotter, options);
    }

    /// <summary>Closes the snapshotter and opens it again on the same root, as a daemon restart does.</summary>
    public async Task RestartAsync(SnapshotterOptions options)
    {
        await Snapshotter.DisposeAsync();
        Snapshotter = await Factory().CreateAsync(Root, Preparer(Backend, options), options, CancellationToken.None);
    }

    /// <summary>The names under snapshots/, sorted: what a failed operation must leave unchanged.</summary>
    public string[] Directories() =>
        Directory.EnumerateDirectories(SnapshotsDirectory).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    public async Task<List<SnapshotInfo>> ListAsync(params string[] filters)
    {
        var result = new List<SnapshotInfo>();
        await foreach (var info in Snapshotter.WalkAsync(filters, CancellationToken.None))
        {
            result.Add(info);
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await Snapshotter.DisposeAsync();
        await _tmpfs.DisposeAsync();
    }

    private static SnapshotterFactory Factory() => new(NullLoggerFactory.Instance, TimeProvider.System);

    private static ChainPreparer Preparer(ScriptedFileSystem backend, SnapshotterOptions options, ILogger<ChainPreparer>? logger = null) =>
        new([new Chain("default", [new ChainBackend("scripted", backend)], [])], "default", options, logger ?? NullLogger<ChainPreparer>.Instance);
}
