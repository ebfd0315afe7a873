using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Fill;

/// <summary>A layer to make local: where its blob is, its zTOC (kept beside it), and when its fill may start.</summary>
internal sealed record FillRequest(ImageReference Repository, Descriptor Layer, FetchedZtoc Ztoc, DateTimeOffset NotBefore);
