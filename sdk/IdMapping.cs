namespace PluggableSnapshotter.Sdk;

/// <summary>One range of an id map: ids <c>[ContainerId, ContainerId+Size)</c> in the container are <c>[HostId, HostId+Size)</c> on the host.</summary>
public readonly record struct IdMapping(uint ContainerId, uint HostId, uint Size)
{
    /// <summary>True when <paramref name="containerId"/> falls in this range.</summary>
    public bool Contains(uint containerId) => containerId >= ContainerId && containerId - ContainerId < Size;

    /// <inheritdoc />
    public override string ToString() => $"{ContainerId}:{HostId}:{Size}";
}
