namespace PluggableSnapshotter.LazyLayers.Content;

/// <summary>One span of one layer blob: layers are content-addressed, so the digest names the same bytes in every image.</summary>
public readonly record struct SpanKey(string LayerDigest, int SpanId);
