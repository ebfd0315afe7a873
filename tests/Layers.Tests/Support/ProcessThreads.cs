namespace PluggableSnapshotter.Layers.Tests.Support;

/// <summary>This process's threads as Linux schedules them (/proc/self/task/&lt;tid&gt;/stat, proc(5)).</summary>
internal static class ProcessThreads
{
    /// <summary>One thread: its name (comm, 15 characters at most), nice value and real-time priority (0: not real-time).</summary>
    public sealed record Thread(int Tid, string Name, int Nice, int RtPriority);

    public static IReadOnlyList<Thread> Read()
    {
        var threads = new List<Thread>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            string stat;
            try
            {
                stat = File.ReadAllText(Path.Join(task, "stat"));
            }
            catch (IOException)
            {
                continue; // the thread ended meanwhile
            }

            // "tid (comm) state ...": comm may hold spaces and parentheses, so the fields start after the last ')'.
            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            // fields[0] is field 3 (state): nice is field 19, rt_priority field 40.
            threads.Add(new Thread(int.Parse(stat[..(open - 1)]), stat[(open + 1)..close], int.Parse(fields[16]), int.Parse(fields[37])));
        }

        return threads;
    }
}
