using System.Reflection;
using PluggableSnapshotter.Host.Plugins;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// <c>pluggable-snapshotter config validate FILE</c> (every error with its line, exactly as at start-up, plugins' settings
/// included), <c>config dump</c> (the effective configuration, defaults filled in) and <c>config default</c> (the
/// plugins.yaml shipped with the daemon, to start from).
/// </summary>
internal static class ConfigCommand
{
    public const string Usage = """
        pluggable-snapshotter config validate [FILE] [--root DIR]
            Checks plugins.yaml (default: as the daemon finds it) as the daemon does at start-up: the host's sections and
            each plugin's settings (unknown keys, bad values, missing paths). Prints every error with its line; exit 2 if any.
        pluggable-snapshotter config dump [FILE] [--root DIR]
            Prints the effective configuration of a valid file: every option with its default, each plugin's
            assembly and its settings as the plugin reads them.
        pluggable-snapshotter config default
            Prints the plugins.yaml shipped with the daemon: every plugin and chain, commented.
        """;

    /// <summary>Runs the command; returns the exit status (0 valid, 2 invalid or a usage error).</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        switch (args)
        {
            case ["default"]:
                output.Write(DefaultYaml());
                return 0;
            case ["validate", .. var rest]:
                return Validate(rest, output, error, dump: false);
            case ["dump", .. var rest]:
                return Validate(rest, output, error, dump: true);
            case ["--help" or "-h" or "help"]:
                output.WriteLine(Usage);
                return 0;
            default:
                error.WriteLine($"pluggable-snapshotter config: unknown command '{string.Join(' ', args)}'{Environment.NewLine}{Usage}");
                return 2;
        }
    }

    private static int Validate(IReadOnlyList<string> args, TextWriter output, TextWriter error, bool dump)
    {
        var file = args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : null;
        DaemonSettings settings;
        try
        {
            // The file and root resolve as the daemon would resolve them (options, environment, defaults).
            settings = DaemonSettings.Parse(file is null ? args : [.. args.Skip(1), "--config", file], Environment.GetEnvironmentVariable);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"pluggable-snapshotter config validate: {e.Message}");
            return 2;
        }
        if (settings.Config is null)
        {
            error.WriteLine("pluggable-snapshotter config validate: no plugins.yaml found (give FILE, --config or PSNAP_CONFIG)");
            return 2;
        }
        var reading = PluginsConfigLoader.Validate(settings.Config, settings.Root);
        if (reading.Errors.Count > 0)
        {
            error.WriteLine($"pluggable-snapshotter: {new PluginsConfigException(reading.Path, reading.Errors.ToList()).Message}");
            return 2;
        }
        if (dump)
        {
            output.Write(ConfigDump.ToYaml(reading));
            return 0;
        }
        var plugins = reading.Config.Plugins.Count == 0 ? "" : $" ({string.Join(", ", reading.Config.Plugins.Select(p => p.Name))})";
        output.WriteLine($"{reading.Path} is valid: {reading.Config.Plugins.Count} plugins{plugins}, " +
            $"{reading.Config.Chains.Count} chains, default chain '{reading.Config.DefaultChain}'");
        return 0;
    }

    private static string DefaultYaml()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("plugins.yaml")
            ?? throw new InvalidOperationException("the default plugins.yaml is not embedded in the daemon");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
