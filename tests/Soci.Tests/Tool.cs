using System.Diagnostics;

namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Runs a command-line tool and fails the test with its stderr when it fails.</summary>
public static class Tool
{
    public static string Run(string file, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        using Process p = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stderr = new System.Text.StringBuilder();
        p.ErrorDataReceived += (_, e) =>
        {
            lock (stderr)
            {
                stderr.AppendLine(e.Data);
            }
        };
        p.BeginErrorReadLine();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            lock (stderr)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}");
            }
        }
        return stdout;
    }

    /// <summary>Runs a shell pipeline (for redirections such as `gzip -c x &gt; y`).</summary>
    public static string Shell(string workingDirectory, string script) => Run("/bin/sh", workingDirectory, "-c", script);
}
