using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Mounts;

/// <summary>
/// A fresh temporary directory with its own tmpfs mounted on it (root only): the root
/// filesystem of the test machines is slow, and one lazy unmount at the end takes
/// whatever a failed test left below it. Disposal unmounts everything below, then
/// the tmpfs, then removes the directory.
/// </summary>
public sealed class TmpfsDirectory : IAsyncDisposable
{
    private TmpfsDirectory(string path) => Path = path;

    /// <summary>The mounted directory.</summary>
    public string Path { get; }

    /// <summary>Creates a directory under /tmp named after <paramref name="purpose"/> and mounts a tmpfs on it.</summary>
    public static async Task<TmpfsDirectory> CreateAsync(string purpose, CancellationToken cancellationToken, string size = "4g")
    {
        // Short paths: unix socket paths below it must stay under 108 bytes.
        var path = Directory.CreateTempSubdirectory($"psnap-{purpose}-").FullName;
        try
        {
            await ProcessRunner.RunCheckedAsync(
                "mount", ["-t", "tmpfs", "-o", $"size={size},mode=0755", $"psnap-{purpose}", path], cancellationToken);
        }
        catch
        {
            Directory.Delete(path);
            throw;
        }
        return new TmpfsDirectory(path);
    }

    /// <summary>A path below this directory.</summary>
    public string Combine(params string[] parts) => System.IO.Path.Combine([Path, .. parts]);

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        var left = MountTable.UnmountUnder(Path);
        if (left.Count == 0)
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
                // A lazily detached mount can keep the directory busy for a moment; /tmp is cleaned anyway.
            }
        }
        return ValueTask.CompletedTask;
    }
}
