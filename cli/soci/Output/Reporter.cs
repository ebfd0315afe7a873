using System.Globalization;

namespace PluggableSnapshotter.Soci.Cli.Output;

/// <summary>Progress and notes on stderr (stdout stays for results), throttled so long work stays readable.</summary>
internal sealed class Reporter(TextWriter error, bool quiet)
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private DateTime _lastProgress = DateTime.MinValue;

    public void Note(string message)
    {
        if (!quiet)
        {
            error.WriteLine(message);
        }
    }

    /// <summary>Reports <paramref name="done"/> of <paramref name="total"/> bytes, at most once a second (and at the end).</summary>
    public void Progress(string label, long done, long total)
    {
        DateTime now = DateTime.UtcNow;
        if (quiet || (done < total && now - _lastProgress < Interval))
        {
            return;
        }
        _lastProgress = now;
        double percent = total > 0 ? 100.0 * done / total : 100;
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  {label}: {percent,5:F1}% ({done / 1e6:F1}/{total / 1e6:F1} MB)"));
    }
}
