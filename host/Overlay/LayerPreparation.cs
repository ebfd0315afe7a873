namespace PluggableSnapshotter.Host.Overlay;

/// <summary>How a layer was prepared, as far as the core needs to know.</summary>
/// <param name="IsPrepared">True when the layer is at its mount point; false when containerd applies it.</param>
/// <param name="Labels">
/// Labels to record: on the committed snapshot when prepared, on the active snapshot (and, through containerd's Commit,
/// its committed one) otherwise.
/// </param>
/// <param name="Description">One line for logs.</param>
internal sealed record LayerPreparation(bool IsPrepared, IReadOnlyDictionary<string, string> Labels, string Description);
