using PluggableSnapshotter.Host.IntegrationTests.Plugins;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

/// <summary>
/// A mistake in any plugin's settings refuses the daemon's start like a mistake in the host's own sections: exit status
/// 2, the file, the line and the key, no stack trace (issue 15, item 4). Runs the daemon built beside the tests.
/// </summary>
public sealed class PluginSettingsRefusalTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("psnap-refusal-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    // Each row: the plugin, its settings (indented under `settings:`, which is line 4), the line and key of the error.
    public static TheoryData<string, string, int, string, string> BadSettings => new()
    {
        { "soci", "pull_mode:\n  soci_v1: { enable: true }", 5, "settings.pull_mode", "unknown key 'pull_mode' (did you mean 'pull_modes'?)" },
        { "local", "docker_confg: /root/.docker/config.json", 5, "settings.docker_confg", "unknown key 'docker_confg' (did you mean 'docker_config'?)" },
        { "parallel-pull", "max_concurent_downloads: 3", 5, "settings.max_concurent_downloads", "did you mean 'max_concurrent_downloads'?" },
        { "soci", "directory_cache:\n  max_lru_cache_entry: -5", 6, "settings.directory_cache.max_lru_cache_entry", "must be at least 1, not -5" },
        { "parallel-pull", "chunk_attempts: -1", 5, "settings.chunk_attempts", "must be positive, not -1" },
        { "parallel-pull", "concurrent_download_chunk_size: \"-8mb\"", 5, "settings.concurrent_download_chunk_size", "'-8mb' is not a size" },
        { "parallel-pull", "chunk_size: \"-8mb\"", 5, "settings.chunk_size", "unknown key 'chunk_size'" },
        { "parallel-pull", "decompress_streams:\n  gzip:\n    path: /nonexistent/unpigz", 7, "settings.decompress_streams.gzip.path", "'/nonexistent/unpigz' does not exist" },
        { "soci", "fuse:\n  attr_timeout: soon", 6, "settings.fuse.attr_timeout", "'soon' is not a number" },
        { "local", "verify_diff_ids: perhaps", 5, "settings.verify_diff_ids", "'perhaps' is not true or false" },
        { "local", "hosts_dir: /nonexistent/certs.d", 5, "settings.hosts_dir", "directory '/nonexistent/certs.d' does not exist" },
        { "soci", "insecure_hosts: localhost:5000", 5, "settings.insecure_hosts", "must be a list" },
        { "soci", "background_fill:\n  container_start_pause_ms: -1", 6, "settings.background_fill.container_start_pause_ms", "must be 0 or more, not -1" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task Start_BadPluginSetting_ExitsTwoNamingFileLineAndKey(string plugin, string settings, int line, string key, string message)
    {
        var config = Write($"""
            plugins:
              - name: {plugin}
                path: {RepositoryPlugins.Folder(plugin)}
                settings:
            {Indent(settings, 6)}
            """);

        var run = await DaemonProcess.RunAsync("--config", config, "--root", Path.Combine(_directory, "root"), "--address", Path.Combine(_directory, "s.sock"));

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains($"{config} is not valid", run.StandardError, StringComparison.Ordinal);
        Assert.Contains($"line {line}: plugin '{plugin}': {key}: ", run.StandardError, StringComparison.Ordinal);
        Assert.Contains(message, run.StandardError, StringComparison.Ordinal);
        AssertNoStackTrace(run.StandardError);
        Assert.False(Directory.Exists(Path.Combine(_directory, "root")), "a refused start creates no state");
    }

    [Fact]
    public async Task Start_MistakesInHostAndTwoPlugins_AllReportedTogetherInLineOrder()
    {
        var config = Write($"""
            snapshotter:
              min_layer_size: ten
            plugins:
              - name: soci
                path: {RepositoryPlugins.Folder("soci")}
                settings:
                  pull_mode: {"{}"}
              - name: parallel-pull
                path: {RepositoryPlugins.Folder("parallel-pull")}
                settings:
                  chunk_attempts: -1
            chains:
              - name: default
                backends: [soci, parallel-pull, ghost]
            """);

        var run = await DaemonProcess.RunAsync("--config", config, "--root", Path.Combine(_directory, "root"), "--address", Path.Combine(_directory, "s.sock"));

        Assert.True(run.ExitCode == 2, run.ToString());
        var lines = run.StandardError.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("line ", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, lines.Count);
        Assert.StartsWith("line 2: 'ten' is not a size", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("line 7: plugin 'soci': settings.pull_mode: unknown key", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("line 11: plugin 'parallel-pull': settings.chunk_attempts: must be positive", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("line 13: chain 'default': backend 'ghost' is not a plugin", lines[3], StringComparison.Ordinal);
        AssertNoStackTrace(run.StandardError);
    }

    [Fact]
    public async Task Start_PluginThatCannotLoad_IsNamedAndRefusedWithTwo()
    {
        var broken = Directory.CreateDirectory(Path.Combine(_directory, "broken")).FullName;
        await File.WriteAllTextAsync(Path.Combine(broken, "Broken.dll"), "this is not an assembly");
        var config = Write($"""
            plugins:
              - name: broken
                path: {broken}
                assembly: Broken.dll
            """);

        var run = await DaemonProcess.RunAsync("--config", config, "--root", Path.Combine(_directory, "root"), "--address", Path.Combine(_directory, "s.sock"));

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("line 2: plugin 'broken'", run.StandardError, StringComparison.Ordinal);
        AssertNoStackTrace(run.StandardError);
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(_directory, "plugins.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static string Indent(string text, int spaces) =>
        string.Join('\n', text.Split('\n').Select(line => new string(' ', spaces) + line));

    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }
}
