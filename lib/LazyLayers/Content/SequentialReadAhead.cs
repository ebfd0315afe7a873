namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// Read-ahead for a layer read front to back (a file copied, a binary loaded): a read of unit n (a soci span, an eStargz
/// read group) right after one of unit n - 1 starts loading the next <c>count</c> units in the background, so the reader
/// finds them fetched. Random reads start nothing, and neither does the first read: a read of the layer's first unit is as
/// often a small file near its start (a container's /etc/passwd) as the head of a long one, which reaches unit 1 soon.
/// </summary>
public sealed class SequentialReadAhead(int units, int count)
{
    private int _last = int.MinValue;

    /// <summary>
    /// Notes a read of <paramref name="unit"/>; when sequential, calls <paramref name="load"/> for each next unit that
    /// <paramref name="held"/> says is not held yet (its failure is left to a reader that needs the unit).
    /// </summary>
    public void Read(int unit, Func<int, bool> held, Func<int, Task> load)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(load);
        var previous = Interlocked.Exchange(ref _last, unit);
        if (previous != unit - 1 || count <= 0) return;
        StartLoading(unit + 1, (int)Math.Min((long)unit + count, units - 1), held, load);
    }

    /// <summary>
    /// Starts <paramref name="load"/> for each unit in [<paramref name="first"/>, <paramref name="last"/>] that
    /// <paramref name="held"/> says is not held yet, without waiting: a reader that needs a unit waits for the same load,
    /// and its failure is left to that reader.
    /// </summary>
    public static void StartLoading(int first, int last, Func<int, bool> held, Func<int, Task> load)
    {
        ArgumentNullException.ThrowIfNull(held);
        ArgumentNullException.ThrowIfNull(load);
        for (var unit = first; unit <= last; unit++)
        {
            if (held(unit)) continue;
            _ = load(unit).ContinueWith(static t => _ = t.Exception, CancellationToken.None,
                TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }
}
