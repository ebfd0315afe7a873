namespace PluggableSnapshotter.TestSupport.Processes;

/// <summary>The psoci CLI that scripts/build.sh publishes to out/cli, run against a loopback registry (plain HTTP, quiet).</summary>
public static class PublishedPsoci
{
    private static string Path => System.IO.Path.Combine(RepositoryPaths.Root, "out", "cli", "psoci");

    /// <summary>Runs psoci with <paramref name="arguments"/>; the result carries the exit code, whatever it is.</summary>
    public static Task<ProcessResult> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunAsync(Path, [.. arguments, "--plain-http", "--quiet"], cancellationToken);

    /// <summary>Runs psoci with <paramref name="arguments"/> and throws (with its output) unless it exits with 0.</summary>
    public static Task<ProcessResult> RunCheckedAsync(IEnumerable<string> arguments, CancellationToken cancellationToken) =>
        ProcessRunner.RunCheckedAsync(Path, [.. arguments, "--plain-http", "--quiet"], cancellationToken);
}
