using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Registry.Images;

/// <summary>
/// The log scope every backend opens around its work on one layer, so each line names the layer and its image
/// (source-generated, like the messages; the daemon's formatters print the scope's values).
/// </summary>
public static class LayerLogScope
{
    private static readonly Func<ILogger, string?, ImageReference, IDisposable?> Scope =
        LoggerMessage.DefineScope<string?, ImageReference>("layer {LayerDigest} of {ImageReference}");

    /// <summary>Begins the scope for <paramref name="layerDigest"/> of <paramref name="image"/>; dispose it when the layer is done.</summary>
    public static IDisposable? Begin(ILogger logger, string? layerDigest, ImageReference image) => Scope(logger, layerDigest, image);
}
