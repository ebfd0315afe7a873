using System.Diagnostics;

namespace PluggableSnapshotter.Bench.Pull;

/// <summary>Runs a measurement several times and keeps the median (the runs are sequential, on an otherwise shared machine).</summary>
internal static class Timings
{
    public static async Task<TimeSpan> MedianAsync(int runs, Func<Task> prepare, Func<Task> measured, Func<Task> cleanup)
    {
        var samples = new List<TimeSpan>();
        for (var i = 0; i < runs; i++)
        {
            await prepare();
            try
            {
                var started = Stopwatch.GetTimestamp();
                await measured();
                samples.Add(Stopwatch.GetElapsedTime(started));
            }
            finally
            {
                await cleanup();
            }
        }

        samples.Sort();
        return samples[samples.Count / 2];
    }

    public static string Seconds(TimeSpan time) => $"{time.TotalSeconds,7:F2}s";

    public static string Rate(long bytes, TimeSpan time) => $"{bytes / 1e6 / time.TotalSeconds,7:F0} MB/s";
}
