using System.Diagnostics;

namespace PluggableSnapshotter.TestSupport.Mounts;

/// <summary>
/// A fresh tmpfs mounted on a temp directory (root only); unmounted and removed on dispose. The synchronous sibling of
/// <see cref="TmpfsDirectory"/>, for fixtures that build their tree in a constructor.
/// </summary>
public sealed class Tmpfs : IDisposable
{
    public Tmpfs()
    {
        Root = Directory.CreateTempSubdirectory("layers-test-").FullName;
        Run("mount", "-t", "tmpfs", "-o", "size=512m", "tmpfs", Root);
    }

    public string Root { get; }

    public string PathOf(string name) => System.IO.Path.Combine(Root, name);

    public static void Run(string file, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true })!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {error}");
    }

    public void Dispose()
    {
        Run("umount", "-l", Root);
        Directory.Delete(Root);
    }
}
