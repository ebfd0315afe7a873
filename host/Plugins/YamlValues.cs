using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>Reads single values, lists and plugin settings out of plugins.yaml nodes; what does not fit is an error at its line.</summary>
internal sealed class YamlValues(ConfigErrors errors)
{
    public static string Text(YamlNode node) => node is YamlScalarNode scalar ? scalar.Value ?? "" : node.ToString();

    public static bool IsEmpty(YamlNode node) => node is YamlScalarNode { Value: null or "" };

    public string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode scalar)
        {
            return scalar.Value;
        }
        errors.Add(node, $"{what} must be a single value");
        return null;
    }

    public bool Bool(YamlNode node)
    {
        var text = Scalar(node, "the option");
        if (bool.TryParse(text, out var value))
        {
            return value;
        }
        errors.Add(node, $"'{text}' is not true or false");
        return false;
    }

    public long Size(YamlNode node)
    {
        var text = Scalar(node, "the size");
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        errors.Add(node, $"'{text}' is not a size in bytes");
        return 0;
    }

    public List<string> Strings(YamlNode node, string what)
    {
        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children.Select(child => Scalar(child, what) ?? "").Where(s => s.Length > 0).ToList();
        }
        errors.Add(node, $"{what} must be a list");
        return [];
    }

    /// <summary>
    /// A plugin's <c>settings</c> as configuration keys (<c>a:b:0</c>) with their values, and the line of every key
    /// (mapping keys and list entries), so an error a plugin reports at a key can point at its line.
    /// </summary>
    public PluginSettingsSection Settings(YamlNode node)
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var lines = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        void Walk(YamlNode current, string prefix)
        {
            // An empty mapping or list still names its key (with no value), so a mistyped `pull_mode: {}` is seen.
            if (current is YamlMappingNode { Children.Count: 0 } or YamlSequenceNode { Children.Count: 0 } && prefix.Length > 0)
            {
                values[prefix] = null;
                return;
            }
            switch (current)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                    {
                        var path = prefix.Length == 0 ? Text(key) : $"{prefix}:{Text(key)}";
                        lines[path] = ConfigErrors.LineOf(key);
                        Walk(value, path);
                    }
                    break;
                case YamlSequenceNode sequence:
                    for (var i = 0; i < sequence.Children.Count; i++)
                    {
                        var path = $"{prefix}:{i.ToString(CultureInfo.InvariantCulture)}";
                        lines[path] = ConfigErrors.LineOf(sequence.Children[i]);
                        Walk(sequence.Children[i], path);
                    }
                    break;
                case YamlScalarNode scalar:
                    values[prefix] = scalar.Value;
                    break;
            }
        }
        var line = ConfigErrors.LineOf(node);
        if (IsEmpty(node))
        {
            return new PluginSettingsSection(values, lines, line);
        }
        if (node is not YamlMappingNode)
        {
            errors.Add(node, "settings must be a mapping");
            return new PluginSettingsSection(values, lines, line);
        }
        Walk(node, "");
        return new PluginSettingsSection(values, lines, line);
    }
}
