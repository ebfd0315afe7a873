using Tomlyn;
using Tomlyn.Model;

namespace PluggableSnapshotter.Registry.Hosts;

/// <summary>
/// Finds the endpoints of a registry: the mirrors and server of containerd's <c>certs.d/&lt;host&gt;/hosts.toml</c>
/// (or <c>_default/hosts.toml</c>) when present, else the registry itself. Mirrors come first, in file order.
/// </summary>
/// <remarks>
/// Keys read: <c>server</c>, <c>[host."url"]</c> with <c>capabilities</c>, <c>skip_verify</c>, <c>ca</c>, <c>override_path</c>, <c>header</c>.
/// Without <c>server</c>, the top-level <c>ca</c>, <c>skip_verify</c> and <c>header</c> apply to the registry itself,
/// which is then reached over HTTPS (TLS settings mean TLS, even for a loopback registry).
/// </remarks>
/// <param name="directory">The hosts directory (<c>/etc/containerd/certs.d</c>), or null for none.</param>
/// <param name="defaultScheme">The scheme of a registry reached without a hosts.toml that says otherwise.</param>
/// <param name="skipVerify">Registries (as in a reference) whose certificate is not verified when no hosts.toml says otherwise.</param>
public sealed class HostsDirectory(string? directory, Func<string, string> defaultScheme, Func<string, bool>? skipVerify = null)
{
    /// <summary>The endpoints for <paramref name="registry"/> (as in a reference, e.g. <c>docker.io</c>, <c>localhost:5000</c>).</summary>
    /// <exception cref="InvalidDataException">The registry's <c>hosts.toml</c> is malformed.</exception>
    public IReadOnlyList<RegistryEndpoint> GetEndpoints(string registry)
    {
        var apiHost = registry == ImageReference.DockerHub ? ImageReference.DockerHubApiHost : registry;
        var insecure = skipVerify?.Invoke(registry) == true;
        var scheme = insecure ? "https" : defaultScheme(apiHost);
        var upstream = new RegistryEndpoint { ApiRoot = RegistryEndpoint.ApiRootOf(new Uri($"{scheme}://{apiHost}"), false), SkipVerify = insecure };
        var file = FindFile(registry);
        return file is null ? [upstream] : Read(file, upstream);
    }

    private string? FindFile(string registry)
    {
        if (directory is null) return null;
        foreach (var name in new[] { registry, registry.Replace(':', '_'), "_default" })
        {
            var path = Path.Combine(directory, name, "hosts.toml");
            if (File.Exists(path)) return path;
        }

        return null;
    }

    private static List<RegistryEndpoint> Read(string file, RegistryEndpoint upstream)
    {
        TomlTable table;
        try
        {
            table = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(file))
                ?? throw new InvalidDataException($"'{file}' is empty");
        }
        catch (TomlException ex)
        {
            throw new InvalidDataException($"'{file}' is not valid TOML: {ex.Message}", ex);
        }

        var endpoints = new List<RegistryEndpoint>();
        if (table.TryGetValue("host", out var hosts))
        {
            if (hosts is not TomlTable hostTable) throw new InvalidDataException($"'{file}': 'host' must be a table of URLs");
            foreach (var (url, value) in hostTable)
            {
                if (value is not TomlTable settings) throw new InvalidDataException($"'{file}': host '{url}' must be a table");
                endpoints.Add(ReadEndpoint(file, url, settings, HostCapabilities.Pull | HostCapabilities.Resolve, isMirror: true));
            }
        }

        if (table.TryGetValue("server", out var server))
        {
            if (server is not string serverUrl) throw new InvalidDataException($"'{file}': 'server' must be a URL string");
            endpoints.Add(ReadEndpoint(file, serverUrl, table, HostCapabilities.All, isMirror: false));
        }
        else if (table.ContainsKey("ca") || table.ContainsKey("skip_verify") || table.ContainsKey("header"))
        {
            var url = upstream.ApiRoot.Scheme == Uri.UriSchemeHttps || table.ContainsKey("ca") || table.ContainsKey("skip_verify")
                ? $"https://{upstream.ApiRoot.Authority}"
                : $"http://{upstream.ApiRoot.Authority}";
            var configured = ReadEndpoint(file, url, table, HostCapabilities.All, isMirror: false);
            endpoints.Add(configured with { SkipVerify = configured.SkipVerify || upstream.SkipVerify });
        }
        else
        {
            endpoints.Add(upstream);
        }

        return endpoints;
    }

    private static RegistryEndpoint ReadEndpoint(string file, string url, TomlTable settings, HostCapabilities defaults, bool isMirror)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            throw new InvalidDataException($"'{file}': '{url}' is not an http(s) URL");
        var capabilities = defaults;
        if (settings.TryGetValue("capabilities", out var caps))
        {
            capabilities = HostCapabilities.None;
            foreach (var cap in Strings(file, "capabilities", caps))
            {
                capabilities |= cap switch
                {
                    "pull" => HostCapabilities.Pull,
                    "resolve" => HostCapabilities.Resolve,
                    "push" => HostCapabilities.Push,
                    _ => throw new InvalidDataException($"'{file}': unknown capability '{cap}' for '{url}'"),
                };
            }
        }

        var headers = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        if (settings.TryGetValue("header", out var headerValue) && headerValue is TomlTable headerTable)
        {
            foreach (var (name, value) in headerTable) headers[name] = Strings(file, "header." + name, value);
        }

        return new RegistryEndpoint
        {
            ApiRoot = RegistryEndpoint.ApiRootOf(uri, settings.TryGetValue("override_path", out var o) && o is true),
            Capabilities = capabilities,
            IsMirror = isMirror,
            SkipVerify = settings.TryGetValue("skip_verify", out var s) && s is true,
            CaFiles = settings.TryGetValue("ca", out var ca) ? Strings(file, "ca", ca) : [],
            Headers = headers,
        };
    }

    private static string[] Strings(string file, string key, object? value) => value switch
    {
        string one => [one],
        TomlArray many => many.Select(v => v as string ?? throw new InvalidDataException($"'{file}': '{key}' must hold strings")).ToArray(),
        _ => throw new InvalidDataException($"'{file}': '{key}' must be a string or an array of strings"),
    };
}
