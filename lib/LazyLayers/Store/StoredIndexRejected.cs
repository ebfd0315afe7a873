using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.LazyLayers.Store;

/// <summary>
/// The backend's own warning that a layer's kept index file (at <paramref name="path"/>, recorded as
/// <paramref name="indexDigest"/>) is unusable for <paramref name="reason"/> and is fetched from the registry instead:
/// each backend logs it under an event id of its own range (soci 3025, estargz 3114).
/// </summary>
public delegate void StoredIndexRejected(ILogger logger, string layerDigest, string indexDigest, string path, string reason);
