namespace PluggableSnapshotter.Sdk;

/// <summary>
/// The user and group id maps of an id-mapped snapshot, as the host read them from the labels
/// <see cref="SnapshotLabels.UidMapping"/> and <see cref="SnapshotLabels.GidMapping"/> (<c>ctr:host:len[,...]</c>).
/// </summary>
public sealed record IdMap(IReadOnlyList<IdMapping> Uids, IReadOnlyList<IdMapping> Gids)
{
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
}
