namespace PluggableSnapshotter.TestSupport;

/// <summary>Where the repository and its published outputs are, seen from a test binary.</summary>
public static class RepositoryPaths
{
    /// <summary>The directory holding PluggableSnapshotter.sln, searched upwards from the test binary.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>
    /// The daemon under test: $PSNAP_DAEMON if set (an executable or a .dll), else
    /// out/host/pluggable-snapshotter as published by scripts/build.sh.
    /// </summary>
    public static string Daemon =>
        Environment.GetEnvironmentVariable("PSNAP_DAEMON") is { Length: > 0 } path
            ? path
            : Path.Combine(Root, "out", "host", "pluggable-snapshotter");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PluggableSnapshotter.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException($"PluggableSnapshotter.sln not found above {AppContext.BaseDirectory}");
    }
}
