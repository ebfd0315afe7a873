namespace PluggableSnapshotter.Host.Plugins;

/// <summary>One or more plugins could not be loaded; the message names each with its reason.</summary>
internal sealed class PluginLoadException(IReadOnlyList<string> failures)
    : Exception("failed to load plugins:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", failures))
{
    public IReadOnlyList<string> Failures { get; } = failures;
}
