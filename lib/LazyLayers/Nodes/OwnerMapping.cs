using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.LazyLayers.Nodes;

/// <summary>How a view of a layer shows owners: as stored, or shifted into a container's id map (an id-mapped view).</summary>
public sealed class OwnerMapping(Func<uint, uint> uid, Func<uint, uint> gid)
{
    public static OwnerMapping Identity { get; } = new(id => id, id => id);

    public static OwnerMapping From(IdMap map)
    {
        ArgumentNullException.ThrowIfNull(map);
        return new OwnerMapping(map.ToHostUid, map.ToHostGid);
    }

    public uint Uid(uint stored) => uid(stored);

    public uint Gid(uint stored) => gid(stored);
}
