using Microsoft.Extensions.Logging;
using Xunit;

namespace PluggableSnapshotter.Sdk.Testing;

/// <summary>
/// The contract of <see cref="IFileSystem"/> (sdk/IFileSystem.cs), checked against any backend: subclass it in an xunit
/// project with your plugin type (and settings) and every test below runs against your backend, loaded as the host loads it.
/// </summary>
/// <remarks>
/// What is checked, for each role the backend declares (lazy: MountAsync; parallel: MountParallelAsync; local: MountLocalAsync):
/// <list type="bullet">
/// <item>a layer it cannot get (registry refusing connections) ends in an outcome other than Mounted or an exception, and the
/// mount point is left as it was found: empty, nothing mounted;</item>
/// <item>a Prepare whose labels name no image is an expected outcome (NoIndex, NoZtoc or Defer), a value, not an exception;</item>
/// <item>cancellation, whether before the call or while a registry stalls, ends the call within
/// <see cref="CancellationDeadline"/> and leaves the mount point as it was;</item>
/// <item>many such calls at once, on different mount points, each leave theirs untouched;</item>
/// </list>
/// and: Unmount where nothing is mounted is harmless, twice (lazy backends); CleanImage of an image it never saw is
/// harmless, twice (every backend); Capabilities names only known roles. Tests of a role the backend does not declare pass without running
/// (the host never calls it). The tests make no mounts themselves; a backend that mounts (FUSE) needs root, as in the host.
/// </remarks>
/// <typeparam name="TPlugin">The plugin's entry type, as the host would create it.</typeparam>
public abstract class FileSystemContractTests<TPlugin> : IAsyncLifetime
    where TPlugin : ISnapshotterPlugin, new()
{
    private const BackendCapabilities KnownRoles = BackendCapabilities.Lazy | BackendCapabilities.Parallel | BackendCapabilities.Local;
    private PluginHarness? _harness;
    private int _nextMountPoint;

    /// <summary>A directory of this test's own, removed afterwards; the snapshotter root is <c>root/</c> below it.</summary>
    protected string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), "psnap-contract-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>The snapshotter root the plugin is given.</summary>
    protected string SnapshotterRoot => Path.Combine(WorkDirectory, "root");

    /// <summary>The plugin's name in the simulated plugins.yaml.</summary>
    protected virtual string PluginName => typeof(TPlugin).Name.ToLowerInvariant();

    /// <summary>How long a cancelled call may take to end.</summary>
    protected virtual TimeSpan CancellationDeadline => TimeSpan.FromSeconds(10);

    /// <summary>The loaded backend.</summary>
    protected IFileSystem FileSystem => (_harness ?? throw new InvalidOperationException("not initialized")).FileSystem;

    /// <summary>The plugin's settings section as flat keys (<c>"cache:size" = "1mb"</c>); <paramref name="workDirectory"/> is yours to use.</summary>
    protected virtual IReadOnlyDictionary<string, string?> Settings(string workDirectory) => new Dictionary<string, string?>();

    /// <summary>Where the plugin logs; none by default.</summary>
    protected virtual ILoggerFactory? LoggerFactory => null;

    /// <inheritdoc />
    public virtual async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        _harness = await PluginHarness.StartAsync(new TPlugin(), PluginName, Settings(WorkDirectory), SnapshotterRoot, LoggerFactory, timeout.Token);
    }

    /// <inheritdoc />
    public virtual async Task DisposeAsync()
    {
        try
        {
            if (_harness is not null) await _harness.DisposeAsync();
        }
        finally
        {
            foreach (var mount in MountPoints.Under(WorkDirectory)) MountPoints.Detach(mount);
            if (Directory.Exists(WorkDirectory)) Directory.Delete(WorkDirectory, recursive: true);
        }
    }

    /// <summary>The roles, for theories.</summary>
    public static TheoryData<BackendCapabilities> Roles => [BackendCapabilities.Lazy, BackendCapabilities.Parallel, BackendCapabilities.Local];

    [Fact]
    public void Capabilities_Declared_AreKnownRoles()
    {
        Assert.Equal(BackendCapabilities.None, FileSystem.Capabilities & ~KnownRoles);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Mount_RegistryRefusesConnections_MountPointLeftAsFound(BackendCapabilities role)
    {
        if (!Declares(role)) return;
        var mountpoint = NewMountPoint();

        var result = await OutcomeOrFailureAsync(role, ContractRequests.ForImageLayer(mountpoint, ContractRequests.UnreachableImage()), CancellationToken.None);

        Assert.False(result is { IsMounted: true }, $"{role}: mounted a layer of an image whose registry refuses connections");
        AssertUntouched(mountpoint, role);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Mount_LabelsNameNoImage_ReturnsAnOutcomeNotAnException(BackendCapabilities role)
    {
        if (!Declares(role)) return;
        var mountpoint = NewMountPoint();

        var result = await CallAsync(role, ContractRequests.WithoutImageLabels(mountpoint), CancellationToken.None);

        Assert.False(result.IsMounted, $"{role}: mounted a layer without knowing its image");
        AssertUntouched(mountpoint, role);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Mount_TokenAlreadyCancelled_EndsAndLeavesMountPointAsFound(BackendCapabilities role)
    {
        if (!Declares(role)) return;
        using var stalled = new StalledRegistry();
        var mountpoint = NewMountPoint();
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        var result = await WithinDeadlineAsync(role, OutcomeOrFailureAsync(role, ContractRequests.ForImageLayer(mountpoint, $"{stalled.Host}/contract/stalled:v1"), cancelled.Token));

        Assert.False(result is { IsMounted: true }, $"{role}: mounted although cancelled before the call");
        AssertUntouched(mountpoint, role);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Mount_CancelledWhileRegistryStalls_EndsPromptlyAndLeavesMountPointAsFound(BackendCapabilities role)
    {
        if (!Declares(role)) return;
        using var stalled = new StalledRegistry();
        var mountpoint = NewMountPoint();
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var result = await WithinDeadlineAsync(role, OutcomeOrFailureAsync(role, ContractRequests.ForImageLayer(mountpoint, $"{stalled.Host}/contract/stalled:v1"), cancellation.Token));

        Assert.False(result is { IsMounted: true }, $"{role}: mounted a layer from a registry that never answered");
        AssertUntouched(mountpoint, role);
    }

    [Theory]
    [MemberData(nameof(Roles))]
    public async Task Mount_ManyAtOnceOnDifferentMountPoints_EachLeftAsFound(BackendCapabilities role)
    {
        if (!Declares(role)) return;
        var image = ContractRequests.UnreachableImage();
        var mountpoints = Enumerable.Range(0, 8).Select(_ => NewMountPoint()).ToList();

        var results = await Task.WhenAll(mountpoints.Select((m, i) =>
            OutcomeOrFailureAsync(role, ContractRequests.ForImageLayer(m, image, $"sha256:{i:x64}"), CancellationToken.None)));

        Assert.DoesNotContain(results, r => r is { IsMounted: true });
        foreach (var mountpoint in mountpoints) AssertUntouched(mountpoint, role);
    }

    [Fact]
    public async Task UnmountAsync_NothingMounted_IsHarmlessTwice()
    {
        if (!Declares(BackendCapabilities.Lazy)) return; // Unmount is part of the lazy role: the host calls it on no one else
        var mountpoint = NewMountPoint();

        await FileSystem.UnmountAsync(mountpoint, CancellationToken.None);
        await FileSystem.UnmountAsync(mountpoint, CancellationToken.None);

        Assert.False(MountPoints.IsMounted(mountpoint));
    }

    [Fact]
    public async Task CleanImageAsync_ImageNeverSeen_IsHarmlessTwice()
    {
        await FileSystem.CleanImageAsync("sha256:" + new string('e', 64), CancellationToken.None);
        await FileSystem.CleanImageAsync("sha256:" + new string('e', 64), CancellationToken.None);
    }

    /// <summary>A fresh empty mount point under the snapshotter root.</summary>
    protected string NewMountPoint() => MountPoints.Create(SnapshotterRoot, Interlocked.Increment(ref _nextMountPoint));

    private bool Declares(BackendCapabilities role) => FileSystem.Capabilities.HasFlag(role);

    /// <summary>Calls the operation of <paramref name="role"/>.</summary>
    protected Task<MountResult> CallAsync(BackendCapabilities role, LayerRequest layer, CancellationToken cancellationToken) => role switch
    {
        BackendCapabilities.Lazy => FileSystem.MountAsync(layer, cancellationToken),
        BackendCapabilities.Parallel => FileSystem.MountParallelAsync(layer, OverlayMounts(layer), cancellationToken),
        BackendCapabilities.Local => FileSystem.MountLocalAsync(layer, OverlayMounts(layer), cancellationToken),
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "one role at a time"),
    };

    // The operation's result, or null when it threw (a failure the host moves past along the chain).
    private async Task<MountResult?> OutcomeOrFailureAsync(BackendCapabilities role, LayerRequest layer, CancellationToken cancellationToken)
    {
        try
        {
            return await CallAsync(role, layer, cancellationToken);
        }
        catch (Exception e) when (e is not (OutOfMemoryException or StackOverflowException))
        {
            return null;
        }
    }

    private async Task<MountResult?> WithinDeadlineAsync(BackendCapabilities role, Task<MountResult?> call)
    {
        var finished = await Task.WhenAny(call, Task.Delay(CancellationDeadline));
        Assert.True(finished == call, $"{role}: the call still runs {CancellationDeadline.TotalSeconds:0} s after it was cancelled");
        return await call;
    }

    private static void AssertUntouched(string mountpoint, BackendCapabilities role)
    {
        var disturbance = MountPoints.Disturbance(mountpoint);
        Assert.True(disturbance is null, $"{role}: the mount point must be left as found after an operation that did not mount: {disturbance}");
    }

    // What containerd would get for the active snapshot of a first layer: a bind mount of the mount point.
    private static IReadOnlyList<MountSpec> OverlayMounts(LayerRequest layer) => [new MountSpec("bind", layer.Mountpoint, ["rbind", "rw"])];
}
