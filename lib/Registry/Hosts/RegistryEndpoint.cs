namespace PluggableSnapshotter.Registry.Hosts;

/// <summary>One place to send a registry's requests to: the registry itself or a mirror from <c>hosts.toml</c>.</summary>
public sealed record RegistryEndpoint
{
    /// <summary>Where API paths are appended: <c>scheme://host[:port]/v2/</c> (or the configured path when it overrides).</summary>
    public required Uri ApiRoot { get; init; }

    /// <summary>What this endpoint may be used for.</summary>
    public HostCapabilities Capabilities { get; init; } = HostCapabilities.All;

    /// <summary>True for a mirror (tried before the registry; on failure the next endpoint is tried).</summary>
    public bool IsMirror { get; init; }

    /// <summary>Skip TLS certificate verification (<c>skip_verify</c>).</summary>
    public bool SkipVerify { get; init; }

    /// <summary>PEM files of CAs to trust for this endpoint (<c>ca</c>).</summary>
    public IReadOnlyList<string> CaFiles { get; init; } = [];

    /// <summary>Extra headers to send (<c>[host."…".header]</c>).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Headers { get; init; } = new Dictionary<string, IReadOnlyList<string>>();

    /// <summary>The host and port requests go to; also the key for credentials and tokens.</summary>
    public string Authority => ApiRoot.IsDefaultPort ? ApiRoot.Host : $"{ApiRoot.Host}:{ApiRoot.Port}";

    /// <summary>The URI of <paramref name="path"/> (e.g. <c>library/ubuntu/manifests/latest</c>) under <see cref="ApiRoot"/>.</summary>
    public Uri Resolve(string path) => new(ApiRoot, path);

    /// <summary>Builds an endpoint from a server URL the way containerd does: <c>/v2</c> is appended unless the path overrides.</summary>
    public static Uri ApiRootOf(Uri server, bool overridePath)
    {
        var path = server.AbsolutePath.TrimEnd('/');
        if (!overridePath && !path.EndsWith("/v2", StringComparison.Ordinal)) path += "/v2";
        return new Uri($"{server.Scheme}://{server.Authority}{path}/");
    }
}
