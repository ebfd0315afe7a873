using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Filters;
using PluggableSnapshotter.Host.Linux;
using PluggableSnapshotter.Host.Metadata;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>
/// containerd's overlayfs snapshotter, with SOCI's remote Prepare flow on top: layers in <c>snapshots/&lt;id&gt;/{fs,work}</c>,
/// metadata in SQLite, each public method one transaction; directories are created in a temporary place and renamed in,
/// and removed only after the transaction commits, so a failure leaves nothing behind.
/// </summary>
internal sealed partial class OverlaySnapshotter : ISnapshotter
{
    private readonly SnapshotLayout _layout;
    private readonly MetaStore _store;
    private readonly ILayerPreparer _preparer;
    private readonly SnapshotterOptions _options;
    private readonly OverlayFeatures _features;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly Func<string, CancellationToken, SnapshotUsage> _measureUsage;

    public OverlaySnapshotter(SnapshotLayout layout, MetaStore store, ILayerPreparer preparer, SnapshotterOptions options,
        OverlayFeatures features, ILogger logger, TimeProvider time, Func<string, CancellationToken, SnapshotUsage> measureUsage)
    {
        _layout = layout;
        _store = store;
        _preparer = preparer;
        _options = options;
        _features = features;
        _logger = logger;
        _time = time;
        _measureUsage = measureUsage;
    }

    private DateTimeOffset Now => _time.GetUtcNow();

    public Task<SnapshotInfo> StatAsync(string key, CancellationToken cancellationToken) =>
        _store.TransactAsync(table => table.Get(key).Info, cancellationToken);

    public Task<SnapshotInfo> UpdateAsync(SnapshotInfo info, IReadOnlyList<string> fieldPaths, CancellationToken cancellationToken) =>
        _store.TransactAsync(table => table.UpdateLabels(info, fieldPaths, Now), cancellationToken);

    public async Task<SnapshotUsage> UsageAsync(string key, CancellationToken cancellationToken)
    {
        var (record, stored) = await _store.TransactAsync(table =>
        {
            var record = table.Get(key);
            return (record, table.StoredUsage(record.Id));
        }, cancellationToken);
        // An active layer is still changing: measure it now (outside the lock); the others were measured at commit.
        return record.Kind == SnapshotKind.Active ? _measureUsage(_layout.UpperPath(record.Id), cancellationToken) : stored;
    }

    public async Task<IReadOnlyList<MountSpec>> MountsAsync(string key, CancellationToken cancellationToken)
    {
        var record = await _store.TransactAsync(table => table.GetActive(key), cancellationToken);
        return OverlayMounts.For(record, _layout, _features);
    }

    public async Task<IReadOnlyList<MountSpec>> ViewAsync(string key, string parent, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var record = await CreateSnapshotAsync(SnapshotKind.View, key, parent, labels, cancellationToken);
        if (IsContainer(SnapshotKind.View, key, parent)) _preparer.ContainerStarting(key);
        return OverlayMounts.For(record, _layout, _features);
    }

    /// <remarks>
    /// The layer is measured between two transactions, not inside one: walking a large layer takes seconds, and the
    /// metadata lock would stall every other snapshot operation meanwhile. The labels the host recorded on the active
    /// snapshot at Prepare (<see cref="HostLabels.Prefix"/>: why containerd pulled the layer) carry over to the commit.
    /// </remarks>
    public async Task CommitAsync(string name, string key, IReadOnlyDictionary<string, string> labels, CancellationToken cancellationToken)
    {
        var active = await _store.TransactAsync(table => table.Get(key), cancellationToken);
        var usage = active.Kind == SnapshotKind.Active ? _measureUsage(_layout.UpperPath(active.Id), cancellationToken) : default;
        await _store.TransactAsync(table =>
        {
            var current = table.Get(key);
            var merged = new Dictionary<string, string>(labels);
            foreach (var (label, value) in current.Info.Labels)
            {
                if (label.StartsWith(HostLabels.Prefix, StringComparison.Ordinal))
                {
                    merged.TryAdd(label, value);
                }
            }
            // Removed and made again meanwhile: another layer, which the next Usage of the commit would not see measured.
            return table.Commit(key, name, merged, current.Id == active.Id ? usage : default, Now);
        }, cancellationToken);
    }

    public async IAsyncEnumerable<SnapshotInfo> WalkAsync(IReadOnlyList<string> filters, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var filter = Filter.Parse(filters);
        var all = await _store.TransactAsync(table => table.All(), cancellationToken);
        foreach (var info in all)
        {
            if (filter.Matches(info))
            {
                yield return info;
            }
        }
    }

    public async ValueTask DisposeAsync() => await _store.DisposeAsync();
}
