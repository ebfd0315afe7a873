namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>A tree mounted on a fresh temporary directory; disposing unmounts (forcibly if needed) and removes it.</summary>
internal sealed class TestMount : IAsyncDisposable
{
    private readonly DirectoryInfo _directory;

    private TestMount(DirectoryInfo directory, FuseMount mount, CapturingLogger logger)
    {
        _directory = directory;
        Mount = mount;
        Logger = logger;
    }

    public FuseMount Mount { get; }

    public CapturingLogger Logger { get; }

    public string Root => Mount.MountPoint;

    public string PathOf(string relative) => Path.Combine(Root, relative);

    public static async Task<TestMount> StartAsync(FuseNode root, FuseMountOptions? options = null)
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("fuse-tests-");
        var logger = new CapturingLogger();
        try
        {
            FuseMount mount = await FuseMount.MountAsync(directory.FullName, root, options, logger, CancellationToken.None);
            return new TestMount(directory, mount, logger);
        }
        catch
        {
            directory.Delete();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Mount.DisposeAsync();
        if (!FuseMountCleanupProbe.IsMounted(_directory.FullName))
        {
            _directory.Delete();
        }
    }
}
