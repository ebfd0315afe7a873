using System.Globalization;
using PluggableSnapshotter.Sdk;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// Reads and validates plugins.yaml. Every problem is collected with its line, and all of them are reported at once:
/// a bad file refuses to start the daemon.
/// </summary>
internal sealed class PluginsConfigLoader
{
    private readonly List<string> _errors = [];
    private readonly HashSet<string> _declaredPlugins = new(StringComparer.Ordinal);
    private readonly string _path;
    private readonly string _baseDirectory;

    private PluginsConfigLoader(string path)
    {
        _path = Path.GetFullPath(path);
        _baseDirectory = Path.GetDirectoryName(_path)!;
    }

    /// <exception cref="PluginsConfigException">The file is not valid.</exception>
    public static PluginsConfig Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new PluginsConfigException(path, ["the file does not exist"]);
        }
        return new PluginsConfigLoader(path).Parse(File.ReadAllText(path));
    }

    /// <summary>Parses <paramref name="yaml"/> as if read from <paramref name="path"/> (relative plugin paths resolve from its folder).</summary>
    public static PluginsConfig Parse(string path, string yaml) => new PluginsConfigLoader(path).Parse(yaml);

    private PluginsConfig Parse(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new PluginsConfigException(_path, [$"line {e.Start.Line}: {e.Message}"]);
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return PluginsConfig.Empty;
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new PluginsConfigException(_path, [$"line {Line(stream.Documents[0].RootNode)}: the top level must be a mapping"]);
        }

        var options = new SnapshotterOptions();
        var plugins = new List<PluginEntry>();
        var chains = new List<ChainEntry>();
        string? defaultChain = null;
        var defaultChainLine = 0;
        foreach (var (keyNode, value) in root.Children)
        {
            switch (Text(keyNode))
            {
                case "snapshotter": options = ParseOptions(value); break;
                case "plugins": plugins = ParseList(value, "plugins", ParsePlugin); break;
                case "chains": chains = ParseList(value, "chains", ParseChain); break;
                case "default_chain": defaultChain = Scalar(value, "default_chain"); defaultChainLine = Line(value); break;
                default: Error(keyNode, $"unknown key '{Text(keyNode)}' (expected snapshotter, plugins, chains, default_chain)"); break;
            }
        }

        CheckUnique(plugins.Select(p => (p.Name, p.Line)), "plugin");
        CheckUnique(chains.Select(c => (c.Name, c.Line)), "chain");
        // Plugins with errors of their own still count as declared, so chains naming them report nothing more.
        var pluginNames = _declaredPlugins;
        if (chains.Count == 0)
        {
            chains.Add(new ChainEntry("default", plugins.Select(p => p.Name).ToList(), []));
        }
        defaultChain ??= chains[0].Name;
        if (!chains.Any(c => c.Name == defaultChain))
        {
            _errors.Add($"line {defaultChainLine}: default_chain '{defaultChain}' is not a chain (chains: {string.Join(", ", chains.Select(c => c.Name))})");
        }
        foreach (var chain in chains)
        {
            foreach (var backend in chain.Backends.Where(b => !pluginNames.Contains(b)))
            {
                _errors.Add($"line {chain.Line}: chain '{chain.Name}': backend '{backend}' is not a plugin (plugins: {(pluginNames.Count == 0 ? "none" : string.Join(", ", pluginNames))})");
            }
        }
        if (_errors.Count > 0)
        {
            throw new PluginsConfigException(_path, _errors);
        }
        return new PluginsConfig(options, plugins, chains, defaultChain);
    }

    private SnapshotterOptions ParseOptions(YamlNode node)
    {
        var options = new SnapshotterOptions();
        if (node is not YamlMappingNode map)
        {
            Error(node, "snapshotter must be a mapping");
            return options;
        }
        foreach (var (keyNode, value) in map.Children)
        {
            options = Text(keyNode) switch
            {
                "allow_invalid_mounts_on_restart" => options with { AllowInvalidMountsOnRestart = Bool(value) },
                "parallel_pull_as_fallback" => options with { ParallelPullAsFallback = Bool(value) },
                "parallel_pull_unpack" => options with { ParallelPullUnpack = Bool(value) },
                "asynchronous_remove" => options with { AsynchronousRemove = Bool(value) },
                "min_layer_size" => options with { MinLayerSize = Size(value) },
                var other => Unknown(keyNode, $"unknown snapshotter option '{other}' (expected allow_invalid_mounts_on_restart, parallel_pull_as_fallback, parallel_pull_unpack, asynchronous_remove, min_layer_size)", options),
            };
        }
        return options;
    }

    private PluginEntry? ParsePlugin(YamlMappingNode map)
    {
        string? name = null, path = null, assembly = null;
        IReadOnlyDictionary<string, string?> settings = new Dictionary<string, string?>();
        foreach (var (keyNode, value) in map.Children)
        {
            switch (Text(keyNode))
            {
                case "name": name = Scalar(value, "name"); break;
                case "path": path = Scalar(value, "path"); break;
                case "assembly": assembly = Scalar(value, "assembly"); break;
                case "settings": settings = Flatten(value); break;
                default: Error(keyNode, $"unknown plugin key '{Text(keyNode)}' (expected name, path, assembly, settings)"); break;
            }
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            Error(map, "a plugin needs a name");
            return null;
        }
        _declaredPlugins.Add(name);
        if (!IsName(name))
        {
            Error(map, $"plugin name '{name}' may only hold letters, digits, '-' and '_'");
        }
        if (string.IsNullOrWhiteSpace(path))
        {
            Error(map, $"plugin '{name}' needs a path (the folder of its assembly)");
            return null;
        }
        var folder = Path.GetFullPath(path, _baseDirectory);
        var assemblyPath = ResolveAssembly(map, name, folder, assembly);
        return assemblyPath is null ? null : new PluginEntry(name, assemblyPath, settings, Line(map));
    }

    private string? ResolveAssembly(YamlNode at, string name, string folder, string? assembly)
    {
        if (!Directory.Exists(folder))
        {
            Error(at, $"plugin '{name}': folder {folder} does not exist (build the plugin, e.g. scripts/build.sh)");
            return null;
        }
        if (assembly is not null)
        {
            var file = Path.Combine(folder, assembly);
            if (!File.Exists(file))
            {
                Error(at, $"plugin '{name}': assembly {file} does not exist");
                return null;
            }
            return file;
        }
        // Without an explicit assembly, the folder's one application (the one with a .deps.json) is the plugin.
        var candidates = Directory.GetFiles(folder, "*.deps.json");
        if (candidates.Length != 1)
        {
            Error(at, $"plugin '{name}': set 'assembly' (found {candidates.Length} *.deps.json files in {folder})");
            return null;
        }
        return candidates[0][..^".deps.json".Length] + ".dll";
    }

    private ChainEntry? ParseChain(YamlMappingNode map)
    {
        string? name = null;
        var backends = new List<string>();
        var images = new List<string>();
        foreach (var (keyNode, value) in map.Children)
        {
            switch (Text(keyNode))
            {
                case "name": name = Scalar(value, "name"); break;
                case "backends": backends = Strings(value, "backends"); break;
                case "images": images = Strings(value, "images"); break;
                default: Error(keyNode, $"unknown chain key '{Text(keyNode)}' (expected name, backends, images)"); break;
            }
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            Error(map, "a chain needs a name");
            return null;
        }
        foreach (var duplicate in backends.GroupBy(b => b).Where(g => g.Count() > 1))
        {
            Error(map, $"chain '{name}' lists backend '{duplicate.Key}' twice");
        }
        return new ChainEntry(name, backends, images, Line(map));
    }

    private List<T> ParseList<T>(YamlNode node, string what, Func<YamlMappingNode, T?> parse) where T : class
    {
        var result = new List<T>();
        if (node is YamlScalarNode { Value: null or "" })
        {
            return result;
        }
        if (node is not YamlSequenceNode sequence)
        {
            Error(node, $"{what} must be a list");
            return result;
        }
        foreach (var item in sequence)
        {
            if (item is not YamlMappingNode map)
            {
                Error(item, $"each entry of {what} must be a mapping");
            }
            else if (parse(map) is { } parsed)
            {
                result.Add(parsed);
            }
        }
        return result;
    }

    private Dictionary<string, string?> Flatten(YamlNode node)
    {
        var result = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        void Walk(YamlNode current, string prefix)
        {
            switch (current)
            {
                case YamlMappingNode map:
                    foreach (var (key, value) in map.Children)
                    {
                        Walk(value, prefix.Length == 0 ? Text(key) : $"{prefix}:{Text(key)}");
                    }
                    break;
                case YamlSequenceNode sequence:
                    for (var i = 0; i < sequence.Children.Count; i++)
                    {
                        Walk(sequence.Children[i], $"{prefix}:{i.ToString(CultureInfo.InvariantCulture)}");
                    }
                    break;
                case YamlScalarNode scalar:
                    result[prefix] = scalar.Value;
                    break;
            }
        }
        if (node is YamlScalarNode { Value: null or "" })
        {
            return result;
        }
        if (node is not YamlMappingNode)
        {
            Error(node, "settings must be a mapping");
            return result;
        }
        Walk(node, "");
        return result;
    }

    private List<string> Strings(YamlNode node, string what)
    {
        if (node is YamlSequenceNode sequence)
        {
            return sequence.Children.Select(child => Scalar(child, what) ?? "").Where(s => s.Length > 0).ToList();
        }
        Error(node, $"{what} must be a list");
        return [];
    }

    private string? Scalar(YamlNode node, string what)
    {
        if (node is YamlScalarNode scalar)
        {
            return scalar.Value;
        }
        Error(node, $"{what} must be a single value");
        return null;
    }

    private bool Bool(YamlNode node)
    {
        var text = Scalar(node, "the option");
        if (bool.TryParse(text, out var value))
        {
            return value;
        }
        Error(node, $"'{text}' is not true or false");
        return false;
    }

    private long Size(YamlNode node)
    {
        var text = Scalar(node, "the size");
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }
        Error(node, $"'{text}' is not a size in bytes");
        return 0;
    }

    private T Unknown<T>(YamlNode node, string message, T value)
    {
        Error(node, message);
        return value;
    }

    private void CheckUnique(IEnumerable<(string Name, int Line)> names, string what)
    {
        foreach (var group in names.GroupBy(n => n.Name).Where(g => g.Count() > 1))
        {
            _errors.Add($"line {group.Last().Line}: {what} '{group.Key}' is defined more than once");
        }
    }

    private static bool IsName(string name) => name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Text(YamlNode node) => node is YamlScalarNode scalar ? scalar.Value ?? "" : node.ToString();

    private static int Line(YamlNode node) => (int)node.Start.Line;

    private void Error(YamlNode node, string message) => _errors.Add($"line {Line(node)}: {message}");
}
