using System.Diagnostics;

namespace PluggableSnapshotter.TestSupport.Processes;

/// <summary>Runs short-lived commands (ctr, umoci, skopeo, mount) and captures their output.</summary>
public static class ProcessRunner
{
    /// <summary>Runs a command to completion; the result carries the exit code, whatever it is.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? string.Empty,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }
        var command = string.Join(' ', new[] { fileName }.Concat(startInfo.ArgumentList));

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"could not start `{command}`");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        return new ProcessResult(command, process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs a command and throws (with its output) unless it exits with 0.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(
        string fileName,
        IEnumerable<string> arguments,
        CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null,
        string? workingDirectory = null)
    {
        var result = await RunAsync(fileName, arguments, cancellationToken, environment, workingDirectory);
        return result.EnsureSuccess();
    }
}
