using System.Globalization;

namespace PluggableSnapshotter.Sdk;

/// <summary>
/// The user and group id maps of an id-mapped snapshot, from the labels
/// <see cref="SnapshotLabels.UidMapping"/> and <see cref="SnapshotLabels.GidMapping"/> (<c>ctr:host:len[,...]</c>).
/// </summary>
public sealed record IdMap(IReadOnlyList<IdMapping> Uids, IReadOnlyList<IdMapping> Gids)
{
    /// <summary>The id map a Prepare asks for, or null when its labels ask for none.</summary>
    /// <exception cref="SnapshotterException">A mapping label is malformed (InvalidArgument).</exception>
    public static IdMap? FromLabels(IReadOnlyDictionary<string, string> labels)
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
        return new IdMap(Parse(uids, "uidmapping"), Parse(gids, "gidmapping"));
    }

    /// <summary>The host uid of container uid <paramref name="containerId"/>; ids outside the map become the overflow id 65534.</summary>
    public uint ToHostUid(uint containerId) => ToHost(Uids, containerId);

    /// <summary>The host gid of container gid <paramref name="containerId"/>; ids outside the map become the overflow id 65534.</summary>
    public uint ToHostGid(uint containerId) => ToHost(Gids, containerId);

    /// <summary>The root (uid 0, gid 0) of the container on the host.</summary>
    public (uint Uid, uint Gid) HostRoot => (ToHostUid(0), ToHostGid(0));

    private const uint OverflowId = 65534;

    private static uint ToHost(IReadOnlyList<IdMapping> map, uint containerId)
    {
        foreach (var range in map)
        {
            if (range.Contains(containerId))
            {
                return range.HostId + (containerId - range.ContainerId);
            }
        }
        return OverflowId;
    }

    private static IdMapping[] Parse(string value, string label)
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
