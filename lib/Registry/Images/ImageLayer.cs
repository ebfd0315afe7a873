namespace PluggableSnapshotter.Registry.Images;

/// <summary>One layer of an image: its descriptor in the manifest and the diff ID the config gives it, at the same position.</summary>
/// <param name="Descriptor">The layer blob as the manifest describes it.</param>
/// <param name="DiffId">The digest of the uncompressed tar (the config's <c>rootfs.diff_ids</c> entry for this layer).</param>
/// <param name="Position">The layer's index in the manifest, 0 for the bottom layer.</param>
public sealed record ImageLayer(Descriptor Descriptor, string DiffId, int Position);
