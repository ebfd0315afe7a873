using System.Diagnostics;
using System.Text;

namespace PluggableSnapshotter.TestSupport.Processes;

/// <summary>
/// A long-running child (registry, containerd, the snapshotter daemon) whose output is
/// kept for failure messages. Stopping sends SIGTERM, then kills the tree after a grace period.
/// </summary>
public sealed class ChildProcess : IAsyncDisposable
{
    private static readonly TimeSpan StopGracePeriod = TimeSpan.FromSeconds(15);
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private int? _exitCode; // kept once known: the Process object is disposed after the stop
    private bool _disposed;

    private ChildProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    /// <summary>A short name for messages ("containerd", "docker-registry").</summary>
    public string Name { get; }

    /// <summary>The process id.</summary>
    public int Id { get; private set; }

    /// <summary>True once the process has exited.</summary>
    public bool HasExited => _exitCode is not null || _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far, interleaved by line.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>The exit code, once exited.</summary>
    public int ExitCode => _exitCode ?? _process.ExitCode;

    /// <summary>Starts <paramref name="fileName"/> with its output captured.</summary>
    public static ChildProcess Start(
        string name,
        string fileName,
        IEnumerable<string> arguments,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process);
        process.OutputDataReceived += (_, e) => child.Append(e.Data);
        process.ErrorDataReceived += (_, e) => child.Append(e.Data);
        if (!process.Start())
        {
            throw new InvalidOperationException($"could not start {name} ({fileName})");
        }
        child.Id = process.Id;
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    /// <summary>Waits until the process has exited and all it wrote has been read (so <see cref="Output"/> is complete).</summary>
    public Task WaitForOutputAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    /// <summary>
    /// Waits (10 s at most) until the output holds <paramref name="text"/>; false when it never does. A daemon's console
    /// logger writes from a queue of its own, so a line logged before a socket appeared may reach us a little after it.
    /// </summary>
    public async Task<bool> WaitForTextAsync(string text, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (DateTime.UtcNow > deadline) return false;
            await Task.Delay(50, cancellationToken);
        }
        return true;
    }

    /// <summary>Text for an assertion message: the name, state and full output.</summary>
    public string Describe() =>
        $"--- {Name} (pid {Id}, {(HasExited ? $"exited with {ExitCode}" : "running")}) output ---\n{Output}";

    /// <summary>Kills this process alone with SIGKILL (a crash: none of its shutdown code runs; its children live on) and waits for it.</summary>
    public async Task<int> KillAsync(CancellationToken cancellationToken)
    {
        if (!_process.HasExited)
        {
            LibC.Kill(_process.Id, LibC.SigKill);
        }
        await _process.WaitForExitAsync(cancellationToken);
        return await StopAsync(cancellationToken);
    }

    /// <summary>Sends SIGTERM and waits; kills the process tree if it does not stop in time.</summary>
    /// <returns>The exit code; a process killed by a signal reports 128 + the signal.</returns>
    public async Task<int> StopAsync(CancellationToken cancellationToken)
    {
        if (_exitCode is { } known)
        {
            return known;
        }
        if (!_process.HasExited)
        {
            LibC.Kill(_process.Id, LibC.SigTerm);
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(StopGracePeriod);
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync(CancellationToken.None);
                Append($"[fixture] {Name} ignored SIGTERM for {StopGracePeriod.TotalSeconds}s and was killed");
            }
        }
        // Let the asynchronous readers drain what the process wrote last.
        _process.WaitForExit();
        _exitCode = _process.ExitCode;
        return _exitCode.Value;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            await StopAsync(CancellationToken.None);
        }
        finally
        {
            _exitCode ??= -1;
            _process.Dispose();
        }
    }
}
