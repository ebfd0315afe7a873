using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.LazyLayers.Mounts;

/// <summary>
/// The log messages <see cref="LayerMounts"/> writes, supplied by the backend so each keeps its own event ids and wording.
/// </summary>
public sealed record LayerMountLog(
    Action<ILogger, string, string> LayerUnmounted,
    Action<ILogger, string, string> IdMappedViewMounted,
    Action<ILogger, string, string> LayerPromoted,
    Action<ILogger, string, string, string> PromotionFailed);
