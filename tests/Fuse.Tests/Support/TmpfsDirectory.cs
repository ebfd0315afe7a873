namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>A fresh tmpfs on a temporary directory; disposing unmounts it (lazily, so it never fails) and removes it.</summary>
internal sealed class TmpfsDirectory : IAsyncDisposable
{
    private TmpfsDirectory(string path) => Path = path;

    public string Path { get; }

    public static async Task<TmpfsDirectory> CreateAsync()
    {
        string path = Directory.CreateTempSubdirectory("fuse-tests-tmpfs-").FullName;
        await Tool.CheckedAsync("mount", "-t", "tmpfs", "-o", "size=64m", "fuse-tests", path);
        return new TmpfsDirectory(path);
    }

    public async ValueTask DisposeAsync()
    {
        await Tool.RunAsync("umount", "-l", Path);
        Directory.Delete(Path);
    }
}
