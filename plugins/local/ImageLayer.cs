using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Local;

/// <summary>A layer located in its image: where to fetch it, its descriptor, and the diff ID the image config gives it.</summary>
internal sealed record ImageLayer(ImageReference Repository, Descriptor Descriptor, string? DiffId, string ManifestDigest);
