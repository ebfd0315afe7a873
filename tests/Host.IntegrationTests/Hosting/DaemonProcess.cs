using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Host.IntegrationTests.Hosting;

/// <summary>Runs the daemon built beside these tests (<c>dotnet pluggable-snapshotter.dll</c>) to completion.</summary>
public static class DaemonProcess
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "pluggable-snapshotter.dll");

    public static async Task<ProcessResult> RunAsync(params string[] args)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        return await ProcessRunner.RunAsync("dotnet", [Dll, .. args], timeout.Token);
    }
}
