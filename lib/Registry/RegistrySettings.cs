using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry.Auth;

namespace PluggableSnapshotter.Registry;

/// <summary>
/// The registry settings every backend takes in its plugins.yaml section (snake_case keys, all optional). A backend's
/// options record derives from this one, so the keys mean the same in every plugin.
/// </summary>
public abstract record RegistrySettings
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

    /// <summary>The registry client settings these options imply.</summary>
    public RegistryClientOptions ToRegistryOptions() => new()
    {
        InsecureHosts = new HashSet<string>(InsecureHosts, StringComparer.OrdinalIgnoreCase),
        HostsDirectory = HostsDirectory is { Length: > 0 } dir && Directory.Exists(dir) ? dir : null,
    };

    /// <summary>A registry client with these settings and the credentials of <see cref="DockerConfig"/>.</summary>
    public RegistryClient CreateClient(ILogger<RegistryClient>? logger) =>
        new(ToRegistryOptions(), new DockerConfigCredentialProvider(DockerConfig ?? DockerConfigCredentialProvider.DefaultPath), logger);
}
