using System.Net;
using System.Net.Sockets;

namespace PluggableSnapshotter.Sdk.Testing;

/// <summary>The Prepare requests the contract tests send, labelled as <c>ctr-remote image rpull</c> labels them.</summary>
public static class ContractRequests
{
    /// <summary>A layer digest no registry holds.</summary>
    public const string UnknownLayer = "sha256:00000000000000000000000000000000000000000000000000000000000c0de5";

    /// <summary>A request for a layer of <paramref name="imageReference"/> (remote-snapshot labels: reference, digest, layers).</summary>
    public static LayerRequest ForImageLayer(string mountpoint, string imageReference, string layerDigest = UnknownLayer) => new()
    {
        Mountpoint = mountpoint,
        Key = $"contract/1/extract-{Path.GetFileName(mountpoint)} {layerDigest}",
        Namespace = "contract",
        Labels = new Dictionary<string, string>
        {
            [SnapshotLabels.TargetRef] = layerDigest,
            [SnapshotLabels.StargzReference] = imageReference,
            [SnapshotLabels.StargzDigest] = layerDigest,
            [SnapshotLabels.StargzLayers] = layerDigest,
        },
    };

    /// <summary>A request whose labels name no image (a plain <c>ctr image pull</c> sends such Prepares).</summary>
    public static LayerRequest WithoutImageLabels(string mountpoint) => new()
    {
        Mountpoint = mountpoint,
        Key = $"contract/2/extract-{Path.GetFileName(mountpoint)}",
        Namespace = "contract",
        Labels = new Dictionary<string, string> { [SnapshotLabels.TargetRef] = UnknownLayer },
    };

    /// <summary>An image reference at a loopback port nothing listens on (connections are refused at once).</summary>
    public static string UnreachableImage()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        var port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        return $"127.0.0.1:{port}/contract/unreachable:v1";
    }
}
