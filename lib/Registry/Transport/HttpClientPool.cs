using System.Collections.Concurrent;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using PluggableSnapshotter.Registry.Hosts;

namespace PluggableSnapshotter.Registry.Transport;

/// <summary>One <see cref="HttpClient"/> per TLS setting (default, skip_verify, custom CAs), shared by all requests.</summary>
internal sealed class HttpClientPool(RegistryClientOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<string, HttpClient> _clients = new();

    public HttpClient Default => Get(null);

    public HttpClient For(RegistryEndpoint endpoint) =>
        endpoint.SkipVerify || endpoint.CaFiles.Count > 0 ? Get(endpoint) : Default;

    private HttpClient Get(RegistryEndpoint? endpoint)
    {
        var key = endpoint is null ? "" : $"{endpoint.SkipVerify}|{string.Join('|', endpoint.CaFiles)}";
        return _clients.GetOrAdd(key, _ => Create(endpoint));
    }

    private HttpClient Create(RegistryEndpoint? endpoint)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            AllowAutoRedirect = true, // blob GETs redirect to storage; .NET drops Authorization on redirects and refuses https->http
            MaxAutomaticRedirections = 5,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(60),
            UseCookies = false,
        };
        if (endpoint is not null) handler.SslOptions = Tls(endpoint);
        var client = new HttpClient(handler, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
        client.DefaultRequestHeaders.UserAgent.ParseAdd(options.UserAgent);
        return client;
    }

    private static SslClientAuthenticationOptions Tls(RegistryEndpoint endpoint)
    {
#pragma warning disable CA5359 // skip_verify in hosts.toml: the operator asked for no verification of this host, as containerd does
        if (endpoint.SkipVerify) return new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = (_, _, _, _) => true };
#pragma warning restore CA5359
        var roots = new X509Certificate2Collection();
        foreach (var file in endpoint.CaFiles) roots.ImportFromPemFile(file);
        // A private CA publishes no revocation lists; containerd (Go's TLS) does not check revocation either.
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(roots);
        return new SslClientAuthenticationOptions { CertificateChainPolicy = policy };
    }

    public void Dispose()
    {
        foreach (var client in _clients.Values) client.Dispose();
        _clients.Clear();
    }
}
