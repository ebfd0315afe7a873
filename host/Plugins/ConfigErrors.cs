using YamlDotNet.RepresentationModel;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>The problems found in plugins.yaml, each with its line, reported together in line order.</summary>
internal sealed class ConfigErrors
{
    private readonly List<(int Line, string Message)> _errors = [];

    public int Count => _errors.Count;

    public void Add(YamlNode node, string message) => Add(LineOf(node), message);

    /// <summary>Adds a problem at <paramref name="line"/> (1-based; 0 when it belongs to no line, such as a missing file).</summary>
    public void Add(int line, string message) => _errors.Add((line, message));

    /// <summary>Every problem as <c>line N: message</c>, in line order (problems found on one line keep their order).</summary>
    public IReadOnlyList<string> ToList() =>
        _errors.OrderBy(e => e.Line).Select(e => e.Line > 0 ? $"line {e.Line}: {e.Message}" : e.Message).ToList();

    public static int LineOf(YamlNode node) => (int)node.Start.Line;
}
