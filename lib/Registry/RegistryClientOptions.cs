namespace PluggableSnapshotter.Registry;

/// <summary>Settings of a <see cref="RegistryClient"/>. Immutable; defaults suit pulling layers from public registries.</summary>
public sealed record RegistryClientOptions
{
    /// <summary>
    /// Hosts (<c>host</c> or <c>host:port</c>) that may be reached over plain HTTP. Loopback hosts
    /// (localhost, 127.0.0.0/8, ::1) always may; every other host needs HTTPS.
    /// </summary>
    public IReadOnlySet<string> InsecureHosts { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Registries (as in a reference: <c>host</c> or <c>host:port</c>) reached over HTTPS without verifying their
    /// certificate (nerdctl's <c>--insecure-registry</c>, SOCI's <c>--skip-verify</c>), loopback ones included, unless
    /// their <c>hosts.toml</c> says otherwise.
    /// </summary>
    public IReadOnlySet<string> SkipVerifyHosts { get; init; } = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// containerd's registry configuration directory (holding <c>&lt;host&gt;/hosts.toml</c> and <c>_default/hosts.toml</c>),
    /// e.g. <c>/etc/containerd/certs.d</c>; null to use no mirrors.
    /// </summary>
    public string? HostsDirectory { get; init; }

    /// <summary>Time allowed to open a TCP (and TLS) connection.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Time allowed from sending a request to receiving the response headers.</summary>
    public TimeSpan ResponseHeadersTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed for a whole request including its body (a blob download counts as one request, resumes included).</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Attempts per request (the first included) on connection errors, timeouts, 429 and 5xx.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>First retry delay; doubles per attempt, with full jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Upper bound of any retry delay, including one asked for by <c>Retry-After</c>.</summary>
    public TimeSpan RetryMaxDelay { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How many times a blob download interrupted mid-stream is resumed with a range request.</summary>
    public int MaxBlobResumes { get; init; } = 5;

    /// <summary>Blob uploads at most this large go in one PUT; larger ones are sent in PATCH chunks of this size.</summary>
    public int UploadChunkSize { get; init; } = 16 * 1024 * 1024;

    /// <summary>Largest manifest or index accepted (the distribution spec suggests registries accept at least 4 MiB).</summary>
    public int MaxManifestSize { get; init; } = 4 * 1024 * 1024;

    /// <summary>The User-Agent sent with every request.</summary>
    public string UserAgent { get; init; } = "pluggable-snapshotter/1.0";
}
