using PluggableSnapshotter.Host.IntegrationTests.Plugins;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

/// <summary><c>pluggable-snapshotter config validate|dump|default</c>: the start-up checks without starting (issue 14).</summary>
public sealed class ConfigCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("psnap-config-command-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task ConfigValidate_BadSettings_ListsThemAndExitsTwo()
    {
        var config = Write($"""
            plugins:
              - name: local
                path: {RepositoryPlugins.Folder("local")}
                settings:
                  docker_confg: /x
            """);

        var run = await DaemonProcess.RunAsync("config", "validate", config);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("line 5: plugin 'local': settings.docker_confg: unknown key", run.StandardError, StringComparison.Ordinal);
        AssertNoStackTrace(run.StandardError);
    }

    [Fact]
    public async Task ConfigValidate_GoodFile_SaysValidAndExitsZero()
    {
        var config = Write($"""
            plugins:
              - name: local
                path: {RepositoryPlugins.Folder("local")}
                settings:
                  verify_diff_ids: false
                  insecure_hosts: [localhost:5000]
              - name: parallel-pull
                path: {RepositoryPlugins.Folder("parallel-pull")}
                settings:
                  concurrent_download_chunk_size: 8mb
            """);

        var run = await DaemonProcess.RunAsync("config", "validate", config);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("is valid: 2 plugins (local, parallel-pull)", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigValidate_ContainerStartPauseSet_SaysValid()
    {
        var config = Write($"""
            plugins:
              - name: soci
                path: {RepositoryPlugins.Folder("soci")}
                settings:
                  background_fill:
                    container_start_pause_ms: 0
            """);

        var run = await DaemonProcess.RunAsync("config", "validate", config);

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("is valid: 1 plugin", run.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ConfigDefault_PrintsTheShippedPluginsYaml()
    {
        var run = await DaemonProcess.RunAsync("config", "default");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(PluggableSnapshotter.TestSupport.RepositoryPaths.Root, "plugins.yaml")), run.StandardOutput);
    }

    [Fact]
    public async Task ConfigDump_FewSettings_PrintsEveryDefaultAndValidatesAgain()
    {
        var config = Write($"""
            plugins:
              - name: soci
                path: {RepositoryPlugins.Folder("soci")}
                settings:
                  pull_modes:
                    soci_v1: {"{ enable: true }"}
              - name: parallel-pull
                path: {RepositoryPlugins.Folder("parallel-pull")}
                settings:
                  concurrent_download_chunk_size: 8mb
            """);

        var dump = await DaemonProcess.RunAsync("config", "dump", config);

        Assert.True(dump.ExitCode == 0, dump.ToString());
        Assert.Contains("max_lru_cache_entry: 64", dump.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("chunk_attempts: 5", dump.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("container_start_pause_ms: 500", dump.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("concurrent_download_chunk_size: 8mb", dump.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("min_layer_size: 0", dump.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("keep_decompressed", dump.StandardOutput, StringComparison.Ordinal); // unset: decided by the fill
        var again = Path.Combine(_directory, "dumped.yaml");
        await File.WriteAllTextAsync(again, dump.StandardOutput);
        var validate = await DaemonProcess.RunAsync("config", "validate", again);
        Assert.True(validate.ExitCode == 0, validate.ToString());
    }

    [Fact]
    public async Task Config_UnknownCommand_ExitsTwoWithUsage()
    {
        var run = await DaemonProcess.RunAsync("config", "frobnicate");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("config validate", run.StandardError, StringComparison.Ordinal);
    }

    private string Write(string yaml)
    {
        var path = Path.Combine(_directory, "plugins.yaml");
        File.WriteAllText(path, yaml);
        return path;
    }

    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }
}
