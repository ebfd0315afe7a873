using PluggableSnapshotter.Host.IntegrationTests.Plugins;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

/// <summary>--log-level reaches every logger, the framework's included (root only: the daemon mounts overlayfs).</summary>
public sealed class DaemonLoggingTests
{
    [RootOnlyFact]
    public async Task Start_LogLevelTrace_PrintsTraceLines()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var dir = await TmpfsDirectory.CreateAsync("trace", timeout.Token);
        await using var daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions
        {
            WorkDirectory = dir.Path,
            DaemonPath = DaemonProcess.Dll,
            LogLevel = "trace",
            PluginsYaml = $"""
                plugins:
                  - name: parallel-pull
                    path: {RepositoryPlugins.Folder("parallel-pull")}
                """,
        }, timeout.Token);

        Assert.True(await daemon.WaitForLogAsync("starting ParallelPullService of plugin parallel-pull", timeout.Token), daemon.Log);
        Assert.Contains(" trce: ", daemon.Log, StringComparison.Ordinal);
    }

    [RootOnlyFact]
    public async Task Start_LogLevelInformation_PrintsNoDebugOrTrace()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var dir = await TmpfsDirectory.CreateAsync("info", timeout.Token);
        await using var daemon = await SnapshotterDaemon.StartAsync(new SnapshotterDaemonOptions
        {
            WorkDirectory = dir.Path,
            DaemonPath = DaemonProcess.Dll,
            LogLevel = "information",
        }, timeout.Token);

        Assert.True(await daemon.WaitForLogAsync("snapshotter ready", timeout.Token), daemon.Log);
        Assert.DoesNotContain(" trce: ", daemon.Log, StringComparison.Ordinal);
        Assert.DoesNotContain(" dbug: ", daemon.Log, StringComparison.Ordinal);
    }
}
