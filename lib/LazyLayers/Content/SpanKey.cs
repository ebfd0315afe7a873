namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>
/// One span of one layer blob: layers are content-addressed, so the digest names the same bytes in every image; the
/// span ids, though, are those of one index of it (<paramref name="Layout"/>: soci's zTOCs of one layer may cut it into
/// spans of other sizes, and two of them can be mounted at once).
/// </summary>
public readonly record struct SpanKey(string LayerDigest, int SpanId, string Layout = "");
