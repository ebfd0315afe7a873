using Microsoft.Data.Sqlite;
using PluggableSnapshotter.Host.Hosting;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Host.Overlay;

namespace PluggableSnapshotter.Host.Why;

/// <summary>
/// <c>pluggable-snapshotter why [--root DIR] IMAGE-REF|SNAPSHOT-KEY</c>: for each layer of an image (or of a snapshot and its
/// parents), which backend prepared it and why each one tried before did not, from what the daemon recorded on the
/// snapshots (<see cref="HostLabels.Why"/>), not from logs. Reads the metadata database while the daemon runs; writes nothing.
/// </summary>
internal static class WhyCommand
{
    public const string Usage = """
        pluggable-snapshotter why [--root DIR] IMAGE-REF|SNAPSHOT-KEY
            For each layer of the image (as pulled through this snapshotter) or of the snapshot and its parents: which
            backend prepared it, in which chain, and why each backend tried before it did not (no index, no zTOC, below
            min_layer_size, registry error, invalid zTOC, deferred); or why containerd applied it. Exit 1 if nothing matches.
        """;

    /// <summary>Runs the command; returns the exit status (0 found, 1 nothing matches, 2 usage error).</summary>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (args is [] or ["--help" or "-h" or "help"])
        {
            (args.Length == 0 ? error : output).WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var target = args[^1];
        DaemonSettings settings;
        try
        {
            // The root resolves as the daemon's does (--root, PSNAP_ROOT, default).
            settings = DaemonSettings.Parse(args[..^1], Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"pluggable-snapshotter why: {e.Message}{Environment.NewLine}{Usage}");
            return 2;
        }
        var database = new SnapshotLayout(settings.Root).MetadataPath;
        if (!File.Exists(database))
        {
            error.WriteLine($"pluggable-snapshotter why: no snapshotter state at {settings.Root} ({database} does not exist; --root?)");
            return 2;
        }
        IReadOnlyList<SnapshotInfo> snapshots;
        try
        {
            snapshots = await MetaStore.ReadSnapshotsAsync(database, cancellationToken);
        }
        catch (SqliteException e)
        {
            error.WriteLine($"pluggable-snapshotter why: cannot read {database}: {e.Message}");
            return 2;
        }
        var report = WhyReport.For(target, snapshots);
        if (report is null)
        {
            error.WriteLine($"pluggable-snapshotter why: no image or snapshot '{target}' in {database} " +
                "(an image is found by the reference it was pulled with, a snapshot by its key or name)");
            return 1;
        }
        output.Write(report);
        return 0;
    }
}
