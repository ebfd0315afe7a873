using System.CommandLine;

namespace PluggableSnapshotter.Soci.Cli;

/// <summary>The options commands share; the registry ones apply to every command.</summary>
internal static class CommonOptions
{
    public static readonly Option<bool> PlainHttp = new("--plain-http")
    {
        Description = "Talk plain HTTP to the registries named (without it: HTTPS, except a loopback registry that no hosts.toml sets up for TLS)",
        Recursive = true,
    };

    public static readonly Option<bool> Insecure = new("--insecure", "-k")
    {
        Description = "Talk HTTPS to the registries named without verifying their certificates (loopback ones included)",
        Recursive = true,
    };

    public static readonly Option<string?> HostsDir = new("--hosts-dir")
    {
        Description = "containerd's registry host configuration: DIR/<host>/hosts.toml with server, ca, skip_verify, mirrors "
            + $"(default {DefaultHostsDir} when it exists)",
        Recursive = true,
    };

    /// <summary>Where containerd (and the daemon) look for hosts.toml files.</summary>
    public const string DefaultHostsDir = "/etc/containerd/certs.d";

    public static readonly Option<string?> User = new("--user", "-u")
    {
        Description = "Registry credentials as USER:PASSWORD (or USER, with the password in $PSOCI_PASSWORD); default: docker config.json",
        Recursive = true,
    };

    public static readonly Option<string?> DockerConfig = new("--docker-config")
    {
        Description = "Path of a docker config.json to take credentials from (default $DOCKER_CONFIG/config.json or ~/.docker/config.json)",
        Recursive = true,
    };

    public static readonly Option<bool> Quiet = new("--quiet", "-q")
    {
        Description = "Print results only, no progress",
        Recursive = true,
    };

    public static readonly Option<bool> Verbose = new("--verbose")
    {
        Description = "Log registry requests",
        Recursive = true,
    };

    public static Option<long> SpanSize() => new("--span-size")
    {
        Description = "Uncompressed bytes between gzip checkpoints",
        DefaultValueFactory = _ => ZtocBuildOptions.DefaultSpanSize,
    };

    public static Option<long> MinLayerSize() => new("--min-layer-size")
    {
        Description = "Layers smaller than this (compressed bytes) get no zTOC",
        DefaultValueFactory = _ => SociLayerPlanner.DefaultMinLayerSize,
    };

    public static Option<string[]> Platform() => new("--platform")
    {
        Description = "Platform to work on, os/arch[/variant]; repeat for several (default: this machine's)",
    };

    public static Option<bool> AllPlatforms() => new("--all-platforms")
    {
        Description = "Work on every platform of a multi-platform image",
    };

    public static Option<string> Store() => new("--store")
    {
        Description = "Directory where `create` keeps indexes until `push`",
        DefaultValueFactory = _ => Building.LocalStore.DefaultRoot,
    };
}
