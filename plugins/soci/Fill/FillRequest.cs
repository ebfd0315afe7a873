using PluggableSnapshotter.Plugins.Soci.Content;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Fill;

/// <summary>
/// A layer to make local: where its blob is, its zTOC (kept beside it), its tree as mounted (whose implicit directories
/// carry the lower layers' attributes), and when its fill may start.
/// </summary>
internal sealed record FillRequest(ImageReference Repository, Descriptor Layer, FetchedZtoc Ztoc, LayerInode Tree, DateTimeOffset NotBefore);
