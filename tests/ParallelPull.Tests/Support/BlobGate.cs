namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.Support;

/// <summary>
/// Holds blob responses in a <see cref="GatedProxy"/> once a budget of blob bytes has gone through, until the test
/// releases it: a pull that is still running, at a point the test chose, for as long as the test needs, whatever the
/// machine's speed. Responses other than blob GETs (manifests, configs) always pass.
/// </summary>
public sealed class BlobGate
{
    private readonly long _budget;
    private readonly string? _digest;
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _passed;

    /// <param name="budget">Blob bytes let through (in total, over every connection) before responses are held.</param>
    /// <param name="digest">Only this blob's responses count and are held; null for every blob.</param>
    internal BlobGate(long budget, string? digest)
    {
        _budget = budget;
        _digest = digest;
    }

    /// <summary>Completes when the first response is held at the gate: the budget is spent and the pull is waiting.</summary>
    public Task Reached => _reached.Task;

    /// <summary>Blob bytes that went through the gate.</summary>
    public long Passed => Interlocked.Read(ref _passed);

    /// <summary>Lets every held response (and every later one) through.</summary>
    public void Release() => _released.TrySetResult();

    /// <summary>Whether the gate is about the blob a request line names.</summary>
    internal bool Applies(string? blobDigest) => blobDigest is not null && (_digest is null || _digest == blobDigest);

    /// <summary>Counts <paramref name="bytes"/> just forwarded; waits while the budget is spent and the gate not released.</summary>
    internal async Task PassAsync(int bytes, CancellationToken cancellationToken)
    {
        if (Interlocked.Add(ref _passed, bytes) < _budget || _released.Task.IsCompleted) return;
        _reached.TrySetResult();
        await _released.Task.WaitAsync(cancellationToken);
    }
}
