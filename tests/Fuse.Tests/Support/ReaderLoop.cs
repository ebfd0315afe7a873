using System.Security.Cryptography;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>
/// Reads a set of files over and over on its own thread, checking each one's SHA-256, and records every failure
/// (an exception or wrong bytes) with when it happened: what a container looping over its files would see.
/// </summary>
internal sealed class ReaderLoop : IDisposable
{
    private readonly IReadOnlyList<(string Path, byte[] Sha256)> _files;
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;
    private readonly List<string> _failures = [];
    private long _reads;

    public ReaderLoop(string root, IEnumerable<(string Path, byte[] Content)> files)
    {
        _files = [.. files.Select(file => (Path.Combine(root, file.Path), SHA256.HashData(file.Content)))];
        _thread = new Thread(Loop) { IsBackground = true, Name = "reader-loop" };
        _thread.Start();
    }

    /// <summary>Files read and checked so far.</summary>
    public long Reads => Interlocked.Read(ref _reads);

    public IReadOnlyList<string> Failures
    {
        get
        {
            lock (_failures)
            {
                return [.. _failures];
            }
        }
    }

    /// <summary>Waits until <paramref name="more"/> further files have been read (the loop makes progress).</summary>
    public async Task WaitForReadsAsync(long more)
    {
        long target = Reads + more;
        using var limit = new CancellationTokenSource(Tool.HangLimit);
        while (Reads < target)
        {
            await Task.Delay(20, limit.Token);
        }
    }

    /// <summary>Stops the loop after the read in progress.</summary>
    public void Stop()
    {
        _stop.Cancel();
        Assert.True(_thread.Join(Tool.HangLimit), "the reader loop hung");
    }

    public void Dispose() => _stop.Dispose();

    private void Loop()
    {
        while (!_stop.IsCancellationRequested)
        {
            foreach ((string path, byte[] sha256) in _files)
            {
                try
                {
                    if (!SHA256.HashData(File.ReadAllBytes(path)).AsSpan().SequenceEqual(sha256))
                    {
                        Record($"{path}: wrong content");
                    }
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    Record($"{path}: {exception.Message}");
                }

                Interlocked.Increment(ref _reads);
            }
        }
    }

    private void Record(string failure)
    {
        lock (_failures)
        {
            _failures.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {failure}");
        }
    }
}
