namespace PluggableSnapshotter.Layers.Threads;

/// <summary>
/// One apply's low-priority mode: its CPU stages run on threads of their own at <see cref="Nice"/>, and reads between the
/// stages block instead of awaiting, so a stage keeps running on its own thread rather than resuming on the shared pool.
/// <see cref="Stop"/> ends every blocked read (the apply's cancellation, or the apply leaving, in success or failure).
/// </summary>
internal sealed class LowPriorityPipeline : IDisposable
{
    private readonly CancellationTokenSource _stop;

    public LowPriorityPipeline(int nice, CancellationToken applyCancellation)
    {
        Nice = nice;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(applyCancellation);
        Stop = _stop.Token; // kept: a blocked read may still look at it after disposal
    }

    /// <summary>The nice value its threads take (see <see cref="LowPriority"/>).</summary>
    public int Nice { get; }

    /// <summary>Cancelled when the apply is cancelled or leaves.</summary>
    public CancellationToken Stop { get; }

    /// <summary>Wakes every blocked read of the pipeline: the apply is leaving.</summary>
    public void StopAll() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();
}
