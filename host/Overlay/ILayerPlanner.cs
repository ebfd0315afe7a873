using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Overlay;

/// <summary>
/// Decides, per image layer, which roles the file system can play and with which options. The host's chain router
/// implements it to choose a chain per image; a plain file system gets the snapshotter-wide options.
/// </summary>
internal interface ILayerPlanner
{
    LayerPlan Plan(LayerRequest layer);
}

/// <summary>How one layer will be prepared.</summary>
/// <param name="Options">The options in force for this layer.</param>
/// <param name="Capabilities">The roles available for this layer.</param>
/// <param name="Labels">Labels to record on the committed snapshot (such as the chain's name).</param>
internal sealed record LayerPlan(SnapshotterOptions Options, BackendCapabilities Capabilities, IReadOnlyDictionary<string, string> Labels);
