using System.Diagnostics;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>Runs real command-line tools against mounts.</summary>
internal static class Tool
{
    /// <summary>How long a tool may take before the test gives up on a hang (not a speed goal).</summary>
    public static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(120);

    public static Process Start(string file, params string[] arguments)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        return Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}");
    }

    public static async Task<ProcessResult> RunAsync(string file, params string[] arguments)
    {
        using Process process = Start(file, arguments);
        process.StandardInput.Close();
        return await WaitAsync(process);
    }

    /// <summary>Runs a shell pipeline (for tools piped into each other).</summary>
    public static Task<ProcessResult> ShellAsync(string script) => RunAsync("/bin/sh", "-c", script);

    public static async Task<ProcessResult> WaitAsync(Process process)
    {
        using var output = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(output);
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var cancellation = new CancellationTokenSource(HangLimit);
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)} hung");
        }

        await copy;
        return new ProcessResult(process.ExitCode, output.ToArray(), await error);
    }

    public static async Task<string> CheckedAsync(string file, params string[] arguments)
    {
        ProcessResult result = await RunAsync(file, arguments);
        Assert.True(result.ExitCode == 0, $"{file} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Error}");
        return result.Text;
    }
}
