using Microsoft.Extensions.Configuration;
using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Plugins.Local;

/// <summary>The local backend's <c>settings</c> in plugins.yaml (snake_case keys, all optional).</summary>
public sealed record LocalBackendOptions
{
    /// <summary>Registries (<c>host[:port]</c>) reached over plain HTTP; loopback registries always are.</summary>
    [ConfigurationKeyName("insecure_hosts")]
    public List<string> InsecureHosts { get; init; } = [];

    /// <summary>containerd's registry host configuration directory (<c>&lt;host&gt;/hosts.toml</c>), for mirrors.</summary>
    [ConfigurationKeyName("hosts_dir")]
    public string? HostsDirectory { get; init; } = "/etc/containerd/certs.d";

    /// <summary>The docker config.json to read credentials from (default: <c>$DOCKER_CONFIG</c> or <c>~/.docker/config.json</c>).</summary>
    [ConfigurationKeyName("docker_config")]
    public string? DockerConfig { get; init; }

    /// <summary>Mark opaque directories with <c>user.overlay.opaque</c> (for overlay mounted with <c>userxattr</c>).</summary>
    [ConfigurationKeyName("userxattr")]
    public bool UserXattr { get; init; }

    /// <summary>Check each layer's diff ID against the image config (on by default; containerd does too).</summary>
    [ConfigurationKeyName("verify_diff_ids")]
    public bool VerifyDiffIds { get; init; } = true;

    /// <summary>Reads the options from a plugin's settings section.</summary>
    public static LocalBackendOptions From(IConfiguration settings) => settings.Get<LocalBackendOptions>() ?? new LocalBackendOptions();

    /// <summary>The registry client settings these options imply.</summary>
    public RegistryClientOptions ToRegistryOptions() => new()
    {
        InsecureHosts = new HashSet<string>(InsecureHosts, StringComparer.OrdinalIgnoreCase),
        HostsDirectory = HostsDirectory is { Length: > 0 } dir && Directory.Exists(dir) ? dir : null,
    };
}
