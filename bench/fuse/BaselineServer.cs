using System.Diagnostics;

namespace PluggableSnapshotter.Fuse.Bench;

/// <summary>The minimal C FUSE server (baseline.c) mounted for a comparison; disposing unmounts and stops it.</summary>
internal sealed class BaselineServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _mountPoint;

    private BaselineServer(Process process, string mountPoint)
    {
        _process = process;
        _mountPoint = mountPoint;
    }

    public static async Task<BaselineServer> StartAsync(string binary, string options, string mountPoint)
    {
        Process process = Process.Start(new ProcessStartInfo(binary, $"{options} {mountPoint}".Trim()) { RedirectStandardOutput = true })!;
        var server = new BaselineServer(process, mountPoint);
        if (await process.StandardOutput.ReadLineAsync() != "READY")
        {
            await server.DisposeAsync();
            throw new InvalidOperationException("the baseline server did not mount");
        }

        // The same readahead window the library sets on its mounts.
        string device = File.ReadLines("/proc/self/mountinfo").Select(line => line.Split(' ')).Last(fields => fields[4] == mountPoint)[2];
        await File.WriteAllTextAsync($"/sys/class/bdi/{device}/read_ahead_kb", "1024");
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        NativeStat.Umount2(_mountPoint, 2);
        _process.Kill();
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
