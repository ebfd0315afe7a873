using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Transport;

namespace PluggableSnapshotter.Registry;

/// <summary>
/// A client of the OCI distribution API: resolves references, downloads blobs (verified against their digests while
/// they stream, resumed after a broken connection) and byte ranges, lists referrers, and pushes blobs and manifests.
/// </summary>
/// <remarks>
/// <para>
/// Authentication follows the registry's <c>WWW-Authenticate</c> challenges: anonymous first, then Basic or a Bearer token
/// for the repository's scope (cached per scope, renewed when refused), with credentials from an <see cref="ICredentialProvider"/>
/// (for example <see cref="DockerConfigCredentialProvider"/>). Credentials and tokens are never logged.
/// </para>
/// <para>
/// Plain HTTP is used only for loopback hosts and <see cref="RegistryClientOptions.InsecureHosts"/>; mirrors come from
/// containerd's <c>hosts.toml</c> layout (<see cref="RegistryClientOptions.HostsDirectory"/>). Connection errors, timeouts,
/// 429 and 5xx are retried with exponential backoff and jitter, honouring <c>Retry-After</c>.
/// </para>
/// <para>Thread-safe: share one instance per process.</para>
/// </remarks>
public sealed partial class RegistryClient : IDisposable
{
    private readonly RegistryClientOptions _options;
    private readonly RegistryTransport _transport;
    private readonly ILogger _logger;

    /// <summary>Creates a client; it does no I/O until the first request.</summary>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="credentials">Where credentials come from; null for anonymous access only.</param>
    /// <param name="logger">Receives the client's structured log messages.</param>
    /// <param name="time">The clock for token expiry; null for the system clock.</param>
    public RegistryClient(
        RegistryClientOptions? options = null,
        ICredentialProvider? credentials = null,
        ILogger<RegistryClient>? logger = null,
        TimeProvider? time = null)
    {
        _options = options ?? new RegistryClientOptions();
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _transport = new RegistryTransport(_options, credentials, _logger, time ?? TimeProvider.System);
    }

    /// <summary>The settings the client was created with.</summary>
    public RegistryClientOptions Options => _options;

    /// <inheritdoc />
    public void Dispose() => _transport.Dispose();

    private static string BlobPath(ImageReference repository, OciDigest digest) => $"{repository.Repository}/blobs/{digest}";

    private static string ManifestPath(ImageReference repository, string selector) => $"{repository.Repository}/manifests/{selector}";
}
