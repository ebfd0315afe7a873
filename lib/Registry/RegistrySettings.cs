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
    /// <summary>Where containerd keeps its registry host configuration; a missing default directory means no mirrors.</summary>
    public const string DefaultHostsDirectory = "/etc/containerd/certs.d";

    /// <summary>Registries (<c>host[:port]</c>) reached over plain HTTP; loopback registries always are.</summary>
    [ConfigurationKeyName("insecure_hosts")]
    public List<string> InsecureHosts { get; init; } = [];

    /// <summary>containerd's registry host configuration directory (<c>&lt;host&gt;/hosts.toml</c>), for mirrors.</summary>
    [ConfigurationKeyName("hosts_dir")]
    public string? HostsDirectory { get; init; } = DefaultHostsDirectory;

    /// <summary>The docker config.json to read credentials from (default: <c>$DOCKER_CONFIG</c> or <c>~/.docker/config.json</c>).</summary>
    [ConfigurationKeyName("docker_config")]
    public string? DockerConfig { get; init; }

    /// <summary>
    /// The problems with these settings, each at its configuration key (<c>hosts_dir</c>, <c>insecure_hosts:0</c>): a
    /// directory or file named explicitly that does not exist, an empty host. Empty when they are usable.
    /// </summary>
    public IEnumerable<(string Key, string Message)> FindRegistryProblems()
    {
        for (var i = 0; i < InsecureHosts.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(InsecureHosts[i]) || InsecureHosts[i].Contains('/', StringComparison.Ordinal))
                yield return ($"insecure_hosts:{i}", $"'{InsecureHosts[i]}' is not a host or host:port");
        }
        // The default directory may be absent (no mirrors); one named on purpose must be there.
        if (HostsDirectory is { Length: > 0 } hosts && hosts != DefaultHostsDirectory && !Directory.Exists(hosts))
            yield return ("hosts_dir", $"directory '{hosts}' does not exist");
        if (DockerConfig is { Length: > 0 } docker && !File.Exists(docker))
            yield return ("docker_config", $"file '{docker}' does not exist");
    }

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
