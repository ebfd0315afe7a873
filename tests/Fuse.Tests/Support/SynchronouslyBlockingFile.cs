using PluggableSnapshotter.Fuse.InMemory;

namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>A file whose READ blocks its thread (no await) until released: a badly behaved synchronous backend.</summary>
internal sealed class SynchronouslyBlockingFile(byte[] content) : MemoryFile(content)
{
    private readonly ManualResetEventSlim _gate = new();

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.Set();

    public override ValueTask<FuseResult<ReadOnlyMemory<byte>>> ReadMemoryAsync(long offset, int length, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        _gate.Wait(Tool.HangLimit, CancellationToken.None); // a badly behaved backend ignores its token
        return base.ReadMemoryAsync(offset, length, cancellationToken);
    }
}
