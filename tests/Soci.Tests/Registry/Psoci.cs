using System.Diagnostics;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>Runs the real psoci CLI (built beside the tests) and captures what it printed.</summary>
public static class Psoci
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static async Task<Result> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["DOCKER_CONFIG"] = Path.Combine(Path.GetTempPath(), "psoci-tests-no-docker-config") },
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "psoci.dll"));
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using Process p = Process.Start(start) ?? throw new InvalidOperationException("cannot start psoci");
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }
}
