namespace PluggableSnapshotter.Host.Plugins;

/// <summary>A plugin's <c>settings</c> from plugins.yaml: configuration keys and values, and where each key is written.</summary>
/// <param name="Values">The settings flattened to configuration keys (<c>a:b:0</c>), compared without case.</param>
/// <param name="Lines">The line of each key, including the mappings and lists on the way (<c>a</c>, <c>a:b</c>).</param>
/// <param name="Line">The line of the <c>settings</c> value itself.</param>
internal sealed record PluginSettingsSection(IReadOnlyDictionary<string, string?> Values, IReadOnlyDictionary<string, int> Lines, int Line)
{
    public static PluginSettingsSection Empty { get; } = new(new Dictionary<string, string?>(), new Dictionary<string, int>(), 0);

    /// <summary>The line of <paramref name="key"/>, else of the nearest enclosing key written in the file, else of the section.</summary>
    public int LineOf(string key)
    {
        for (var path = key; path.Length > 0; path = path.LastIndexOf(':') is var colon and > 0 ? path[..colon] : "")
        {
            if (Lines.TryGetValue(path, out var line))
            {
                return line;
            }
        }
        return Line;
    }
}
