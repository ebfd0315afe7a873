using PluggableSnapshotter.Sdk;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// Reads plugins.yaml and validates the host's sections (snapshotter options, plugins, chains, default chain). Every
/// problem is collected with its line, and all of them are reported at once: a bad file refuses to start the daemon.
/// Each plugin's own <c>settings</c> are checked by the plugin (<see cref="PluginSettingsCheck"/>).
/// </summary>
internal sealed class PluginsConfigLoader
{
    private readonly ConfigErrors _errors = new();
    private readonly YamlValues _values;
    private readonly HashSet<string> _declaredPlugins = new(StringComparer.Ordinal);
    private readonly string _baseDirectory;

    private PluginsConfigLoader(string path)
    {
        _values = new YamlValues(_errors);
        _baseDirectory = Path.GetDirectoryName(Path.GetFullPath(path))!;
    }

    /// <exception cref="PluginsConfigException">The file is not valid.</exception>
    public static PluginsConfig Load(string path) => Read(path).OrThrow();

    /// <summary>Parses <paramref name="yaml"/> as if read from <paramref name="path"/> (relative plugin paths resolve from its folder).</summary>
    /// <exception cref="PluginsConfigException">The file is not valid.</exception>
    public static PluginsConfig Parse(string path, string yaml) => Read(path, yaml).OrThrow();

    /// <summary>
    /// Reads the file and asks each plugin it names to check its settings: every problem of the host's sections and of
    /// every plugin's settings, each with its line. <paramref name="snapshotterRoot"/> is shown to plugins, not created.
    /// </summary>
    public static PluginsConfigReading Validate(string path, string snapshotterRoot)
    {
        var reading = Read(path);
        return reading with { PluginSettings = PluginSettingsCheck.Run(reading, snapshotterRoot) };
    }

    /// <summary>Reads the file; never throws for its content. With errors, the configuration holds what was valid.</summary>
    public static PluginsConfigReading Read(string path)
    {
        var errors = new ConfigErrors();
        if (!File.Exists(path))
        {
            errors.Add(0, "the file does not exist");
            return new PluginsConfigReading(Path.GetFullPath(path), PluginsConfig.Empty, errors);
        }
        return Read(path, File.ReadAllText(path));
    }

    /// <summary>Reads <paramref name="yaml"/> as if from <paramref name="path"/>; never throws for its content.</summary>
    public static PluginsConfigReading Read(string path, string yaml)
    {
        var loader = new PluginsConfigLoader(path);
        var config = loader.Parse(yaml);
        return new PluginsConfigReading(Path.GetFullPath(path), config, loader._errors);
    }

    private PluginsConfig Parse(string yaml)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            _errors.Add((int)e.Start.Line, e.Message);
            return PluginsConfig.Empty;
        }
        if (stream.Documents.Count == 0 || YamlValues.IsEmpty(stream.Documents[0].RootNode))
        {
            return PluginsConfig.Empty;
        }
        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            _errors.Add(stream.Documents[0].RootNode, "the top level must be a mapping");
            return PluginsConfig.Empty;
        }

        var options = new SnapshotterOptions();
        var plugins = new List<PluginEntry>();
        var chains = new List<ChainEntry>();
        string? defaultChain = null;
        var defaultChainLine = 0;
        Metrics.MetricsAddress? metricsAddress = null;
        foreach (var (keyNode, value) in root.Children)
        {
            switch (YamlValues.Text(keyNode))
            {
                case "snapshotter": options = ParseOptions(value); break;
                case "plugins": plugins = ParseList(value, "plugins", ParsePlugin); break;
                case "chains": chains = ParseList(value, "chains", ParseChain); break;
                case "default_chain": defaultChain = _values.Scalar(value, "default_chain"); defaultChainLine = ConfigErrors.LineOf(value); break;
                case "metrics_address": metricsAddress = ParseMetricsAddress(value); break;
                default: _errors.Add(keyNode, $"unknown key '{YamlValues.Text(keyNode)}' (expected snapshotter, plugins, chains, default_chain, metrics_address)"); break;
            }
        }

        CheckUnique(plugins.Select(p => (p.Name, p.Line)), "plugin");
        CheckUnique(chains.Select(c => (c.Name, c.Line)), "chain");
        if (chains.Count == 0)
        {
            chains.Add(new ChainEntry("default", plugins.Select(p => p.Name).ToList(), []));
        }
        defaultChain ??= chains[0].Name;
        if (!chains.Any(c => c.Name == defaultChain))
        {
            _errors.Add(defaultChainLine, $"default_chain '{defaultChain}' is not a chain (chains: {string.Join(", ", chains.Select(c => c.Name))})");
        }
        CheckChainBackends(chains);
        return new PluginsConfig(options, plugins, chains, defaultChain) { MetricsAddress = metricsAddress };
    }

    private Metrics.MetricsAddress? ParseMetricsAddress(YamlNode node)
    {
        var text = _values.Scalar(node, "metrics_address");
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }
        var address = Metrics.MetricsAddress.TryParse(text, out var error);
        if (address is null)
        {
            _errors.Add(node, $"metrics_address {error}");
        }
        return address;
    }

    private void CheckChainBackends(List<ChainEntry> chains)
    {
        // Plugins with errors of their own still count as declared, so chains naming them report nothing more.
        foreach (var chain in chains)
        {
            foreach (var backend in chain.Backends.Where(b => !_declaredPlugins.Contains(b)))
            {
                _errors.Add(chain.Line, $"chain '{chain.Name}': backend '{backend}' is not a plugin (plugins: {(_declaredPlugins.Count == 0 ? "none" : string.Join(", ", _declaredPlugins))})");
            }
        }
    }

    private SnapshotterOptions ParseOptions(YamlNode node)
    {
        var options = new SnapshotterOptions();
        if (node is not YamlMappingNode map)
        {
            _errors.Add(node, "snapshotter must be a mapping");
            return options;
        }
        foreach (var (keyNode, value) in map.Children)
        {
            switch (YamlValues.Text(keyNode))
            {
                case "allow_invalid_mounts_on_restart": options = options with { AllowInvalidMountsOnRestart = _values.Bool(value) }; break;
                case "parallel_pull_as_fallback": options = options with { ParallelPullAsFallback = _values.Bool(value) }; break;
                case "parallel_pull_unpack": options = options with { ParallelPullUnpack = _values.Bool(value) }; break;
                case "asynchronous_remove": options = options with { AsynchronousRemove = _values.Bool(value) }; break;
                case "min_layer_size": options = options with { MinLayerSize = _values.Size(value) }; break;
                case var other:
                    _errors.Add(keyNode, $"unknown snapshotter option '{other}' (expected allow_invalid_mounts_on_restart, parallel_pull_as_fallback, parallel_pull_unpack, asynchronous_remove, min_layer_size)");
                    break;
            }
        }
        return options;
    }

    private PluginEntry? ParsePlugin(YamlMappingNode map)
    {
        string? name = null, path = null, assembly = null;
        var settings = PluginSettingsSection.Empty;
        foreach (var (keyNode, value) in map.Children)
        {
            switch (YamlValues.Text(keyNode))
            {
                case "name": name = _values.Scalar(value, "name"); break;
                case "path": path = _values.Scalar(value, "path"); break;
                case "assembly": assembly = _values.Scalar(value, "assembly"); break;
                case "settings": settings = _values.Settings(value); break;
                default: _errors.Add(keyNode, $"unknown plugin key '{YamlValues.Text(keyNode)}' (expected name, path, assembly, settings)"); break;
            }
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            _errors.Add(map, "a plugin needs a name");
            return null;
        }
        _declaredPlugins.Add(name);
        if (!name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            _errors.Add(map, $"plugin name '{name}' may only hold letters, digits, '-' and '_'");
        }
        if (string.IsNullOrWhiteSpace(path))
        {
            _errors.Add(map, $"plugin '{name}' needs a path (the folder of its assembly)");
            return null;
        }
        var assemblyPath = PluginAssemblyLocator.Locate(name, Path.GetFullPath(path, _baseDirectory), assembly, out var problem);
        if (assemblyPath is null)
        {
            _errors.Add(map, problem!);
            return null;
        }
        return new PluginEntry(name, assemblyPath, settings with { Line = settings.Line == 0 ? ConfigErrors.LineOf(map) : settings.Line }, ConfigErrors.LineOf(map));
    }

    private ChainEntry? ParseChain(YamlMappingNode map)
    {
        string? name = null;
        var backends = new List<string>();
        var images = new List<string>();
        foreach (var (keyNode, value) in map.Children)
        {
            switch (YamlValues.Text(keyNode))
            {
                case "name": name = _values.Scalar(value, "name"); break;
                case "backends": backends = _values.Strings(value, "backends"); break;
                case "images": images = _values.Strings(value, "images"); break;
                default: _errors.Add(keyNode, $"unknown chain key '{YamlValues.Text(keyNode)}' (expected name, backends, images)"); break;
            }
        }
        if (string.IsNullOrWhiteSpace(name))
        {
            _errors.Add(map, "a chain needs a name");
            return null;
        }
        foreach (var duplicate in backends.GroupBy(b => b).Where(g => g.Count() > 1))
        {
            _errors.Add(map, $"chain '{name}' lists backend '{duplicate.Key}' twice");
        }
        return new ChainEntry(name, backends, images, ConfigErrors.LineOf(map));
    }

    private List<T> ParseList<T>(YamlNode node, string what, Func<YamlMappingNode, T?> parse) where T : class
    {
        var result = new List<T>();
        if (YamlValues.IsEmpty(node))
        {
            return result;
        }
        if (node is not YamlSequenceNode sequence)
        {
            _errors.Add(node, $"{what} must be a list");
            return result;
        }
        foreach (var item in sequence)
        {
            if (item is not YamlMappingNode map)
            {
                _errors.Add(item, $"each entry of {what} must be a mapping");
            }
            else if (parse(map) is { } parsed)
            {
                result.Add(parsed);
            }
        }
        return result;
    }

    private void CheckUnique(IEnumerable<(string Name, int Line)> names, string what)
    {
        foreach (var group in names.GroupBy(n => n.Name).Where(g => g.Count() > 1))
        {
            _errors.Add(group.Last().Line, $"{what} '{group.Key}' is defined more than once");
        }
    }
}
