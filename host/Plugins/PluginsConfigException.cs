namespace PluggableSnapshotter.Host.Plugins;

/// <summary>plugins.yaml is not valid; the message lists every error with its line.</summary>
internal sealed class PluginsConfigException(string path, IReadOnlyList<string> errors)
    : Exception($"{path} is not valid:{Environment.NewLine}  " + string.Join(Environment.NewLine + "  ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
