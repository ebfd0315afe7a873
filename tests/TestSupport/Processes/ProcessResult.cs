namespace PluggableSnapshotter.TestSupport.Processes;

/// <summary>The outcome of a command that ran to completion.</summary>
public sealed record ProcessResult(string Command, int ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>Throws, with the command and both output streams, unless the exit code is 0.</summary>
    public ProcessResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{Command}` exited with {ExitCode}\n--- stdout ---\n{StandardOutput}\n--- stderr ---\n{StandardError}");
        }
        return this;
    }
}
