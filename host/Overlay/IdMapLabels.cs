using System.Globalization;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>Reads the id map a Prepare asks for from its labels (containerd's <c>uidmapping</c>/<c>gidmapping</c>, <c>ctr:host:len[,...]</c>).</summary>
internal static class IdMapLabels
{
    /// <summary>The id map the labels ask for, or null when they ask for none.</summary>
    /// <exception cref="SnapshotterException">A mapping label is malformed, or only one of the two is set (InvalidArgument).</exception>
    public static IdMap? Parse(IReadOnlyDictionary<string, string> labels)
    {
        labels.TryGetValue(SnapshotLabels.UidMapping, out var uids);
        labels.TryGetValue(SnapshotLabels.GidMapping, out var gids);
        if (string.IsNullOrEmpty(uids) && string.IsNullOrEmpty(gids))
        {
            return null;
        }
        if (string.IsNullOrEmpty(uids) || string.IsNullOrEmpty(gids))
        {
            throw SnapshotterException.InvalidArgument("id mapping needs both uidmapping and gidmapping labels");
        }
        return new IdMap(Ranges(uids, "uidmapping"), Ranges(gids, "gidmapping"));
    }

    private static IdMapping[] Ranges(string value, string label)
    {
        var ranges = value.Split(',', StringSplitOptions.TrimEntries);
        var result = new IdMapping[ranges.Length];
        for (var i = 0; i < ranges.Length; i++)
        {
            var parts = ranges[i].Split(':');
            if (parts.Length != 3
                || !uint.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var container)
                || !uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var host)
                || !uint.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                || size == 0 || (ulong)container + size > uint.MaxValue || (ulong)host + size > uint.MaxValue)
            {
                throw SnapshotterException.InvalidArgument($"{label} range '{ranges[i]}' is not ctr:host:len with a length of at least 1");
            }
            result[i] = new IdMapping(container, host, size);
        }
        return result;
    }
}
