namespace PluggableSnapshotter.Host.Hosting;

/// <summary>The daemon's command line, each option also read from an environment variable.</summary>
internal sealed record DaemonSettings(string Root, string Address, string? Config, string LogLevel)
{
    /// <summary>The FUSE keeper's socket (started unless one answers there); null when the keeper is off.</summary>
    public string? FuseKeeper { get; init; }

    /// <summary><c>text</c> (one line per event, scopes as key=value) or <c>json</c> (one object per line).</summary>
    public string LogFormat { get; init; } = "text";

    /// <summary>Whether the listening socket comes from systemd socket activation (<c>--address fd://</c>).</summary>
    public bool SocketActivated => SocketActivation.IsRequested(Address);

    public const string Usage = """
        pluggable-snapshotter: a containerd remote snapshotter with backends as plugins.

        Options (each also an environment variable):
          --root DIR        state directory                 PSNAP_ROOT      (/var/lib/pluggable-snapshotter)
          --address PATH    gRPC unix socket to serve, or fd:// for the socket systemd passes (socket activation)
                                                            PSNAP_ADDRESS   (/run/pluggable-snapshotter/snapshotter.sock)
          --config FILE     plugins.yaml                    PSNAP_CONFIG    (/etc/pluggable-snapshotter/plugins.yaml, else ./plugins.yaml, else none)
          --log-level LVL   trace|debug|information|warning|error   PSNAP_LOG_LEVEL (information)
          --log-format F    text|json                       PSNAP_LOG_FORMAT (text)
          --fuse-keeper S   FUSE keeper socket, or off      PSNAP_FUSE_KEEPER (ROOT/fuse-keeper.sock)
          --help            this text

        Commands:
          config validate [FILE]   check plugins.yaml (plugins' settings included) as at start-up; exit 2 if invalid
          config dump [FILE]       print the effective configuration, defaults filled in
          config default           print the shipped plugins.yaml
          why [--root DIR] IMAGE-REF|SNAPSHOT-KEY
                                   which backend prepared each layer, and why the ones tried before did not
          keeper --socket PATH [--log-level LVL]
            runs the FUSE keeper (the daemon starts one at ROOT/fuse-keeper.sock): it holds the connections of lazily
            served mounts so containers keep running across a daemon crash or upgrade

        plugins.yaml's metrics_address (host:port on loopback, or unix:/path) serves Prometheus metrics at /metrics
        and health at /healthz.

        containerd config.toml:
          [proxy_plugins.pluggable]
            type = "snapshot"
            address = "/run/pluggable-snapshotter/snapshotter.sock"
        """;

    private static readonly string[] LogLevels = ["trace", "debug", "information", "info", "warning", "warn", "error", "critical", "none"];

    /// <summary>Parses the arguments over the environment's defaults.</summary>
    /// <exception cref="ArgumentException">An unknown option or a missing value; the message says which.</exception>
    public static DaemonSettings Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var root = environment("PSNAP_ROOT") ?? "/var/lib/pluggable-snapshotter";
        var address = environment("PSNAP_ADDRESS") ?? "/run/pluggable-snapshotter/snapshotter.sock";
        var config = environment("PSNAP_CONFIG");
        var logLevel = environment("PSNAP_LOG_LEVEL") ?? "information";
        var keeper = environment("PSNAP_FUSE_KEEPER");
        var logFormat = environment("PSNAP_LOG_FORMAT") ?? "text";
        for (var i = 0; i < args.Count; i++)
        {
            var (name, inline) = args[i].Split('=', 2) is [var n, var v] ? (n, v) : (args[i], null);
            string Value() => inline ?? (i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value"));
            switch (name)
            {
                case "--root": root = Value(); break;
                case "--address": address = Value(); break;
                case "--config": config = Value(); break;
                case "--log-level": logLevel = Value(); break;
                case "--fuse-keeper": keeper = Value(); break;
                case "--log-format": logFormat = Value(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (!LogLevels.Contains(logLevel, StringComparer.OrdinalIgnoreCase))
        {
            throw new ArgumentException($"--log-level {logLevel} is not one of {string.Join('|', LogLevels)}");
        }
        if (logFormat is not ("text" or "json"))
        {
            throw new ArgumentException($"--log-format {logFormat} is not one of text|json");
        }
        config ??= new[] { "/etc/pluggable-snapshotter/plugins.yaml", Path.GetFullPath("plugins.yaml") }.FirstOrDefault(File.Exists);
        root = Path.GetFullPath(root);
        var listen = SocketActivation.IsRequested(address) ? SocketActivation.Address : Path.GetFullPath(address);
        return new DaemonSettings(root, listen, config is null ? null : Path.GetFullPath(config), logLevel)
        {
            LogFormat = logFormat,
            FuseKeeper = keeper switch
            {
                "off" => null,
                null or "" => Path.Combine(root, "fuse-keeper.sock"),
                _ => Path.GetFullPath(keeper),
            },
        };
    }

    public Microsoft.Extensions.Logging.LogLevel MinimumLevel => LogLevel.ToLowerInvariant() switch
    {
        "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
        "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
        "warning" or "warn" => Microsoft.Extensions.Logging.LogLevel.Warning,
        "error" => Microsoft.Extensions.Logging.LogLevel.Error,
        "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
        "none" => Microsoft.Extensions.Logging.LogLevel.None,
        _ => Microsoft.Extensions.Logging.LogLevel.Information,
    };
}
