using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>A file whose reads wait: until <see cref="Release"/> (a slow network), or until cancelled.</summary>
internal sealed class GatedFile(byte[] content) : MemoryFile(content)
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the first read reaches the node.</summary>
    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a waiting read's token is cancelled (INTERRUPT).</summary>
    public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool IsReleased => _gate.Task.IsCompleted;

    public void Release() => _gate.TrySetResult();

    public override async ValueTask<FuseResult<ReadOnlyMemory<byte>>> ReadMemoryAsync(long offset, int length, CancellationToken cancellationToken)
    {
        await WaitForGateAsync(cancellationToken);
        return await base.ReadMemoryAsync(offset, length, cancellationToken);
    }

    public override async ValueTask<FuseResult<int>> ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        await WaitForGateAsync(cancellationToken);
        return await base.ReadAsync(offset, destination, cancellationToken);
    }

    private async Task WaitForGateAsync(CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        try
        {
            await _gate.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled.TrySetResult();
            throw;
        }
    }
}
