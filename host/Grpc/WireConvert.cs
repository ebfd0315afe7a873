using Google.Protobuf.WellKnownTypes;
using PluggableSnapshotter.Host.Grpc.Wire;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Grpc;

/// <summary>Conversions between the wire messages and the SDK's types.</summary>
internal static class WireConvert
{
    public static Mount ToWire(MountSpec mount) => new()
    {
        Type = mount.Type,
        Source = mount.Source,
        Target = mount.Target,
        Options = { mount.Options },
    };

    public static Info ToWire(SnapshotInfo info) => new()
    {
        Name = info.Name,
        Parent = info.Parent,
        Kind = (Kind)(int)info.Kind,
        CreatedAt = Timestamp.FromDateTimeOffset(info.Created),
        UpdatedAt = Timestamp.FromDateTimeOffset(info.Updated),
        Labels = { new Dictionary<string, string>(info.Labels) },
    };

    public static SnapshotInfo FromWire(Info info) => new()
    {
        Name = info.Name,
        Parent = info.Parent,
        Kind = (SnapshotKind)(int)info.Kind,
        Labels = new Dictionary<string, string>(info.Labels),
        Created = info.CreatedAt?.ToDateTimeOffset() ?? default,
        Updated = info.UpdatedAt?.ToDateTimeOffset() ?? default,
    };
}
