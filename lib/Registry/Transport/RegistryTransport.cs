using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Registry.Auth;
using PluggableSnapshotter.Registry.Hosts;

namespace PluggableSnapshotter.Registry.Transport;

/// <summary>
/// Sends one logical registry request: picks the endpoints (mirrors first), authorizes, retries transient failures with
/// backoff, enforces the header and overall timeouts, and answers 401 challenges once.
/// </summary>
internal sealed class RegistryTransport : IDisposable
{
    private readonly RegistryClientOptions _options;
    private readonly HttpClientPool _clients;
    private readonly HostsDirectory _hosts;
    private readonly RegistryAuthenticator _auth;
    private readonly RetryPolicy _retry;
    private readonly ILogger _logger;

    public RegistryTransport(RegistryClientOptions options, ICredentialProvider? credentials, ILogger logger, TimeProvider time)
    {
        _options = options;
        _logger = logger;
        _clients = new HttpClientPool(options);
        _retry = new RetryPolicy(options);
        _hosts = new HostsDirectory(options.HostsDirectory, host => MayUsePlainHttp(host) ? "http" : "https", options.SkipVerifyHosts.Contains);
        _auth = new RegistryAuthenticator(credentials, _ => _clients.Default, MayUse, logger, time);
    }

    /// <summary>True for loopback hosts and the hosts configured insecure: the only ones spoken to over plain HTTP.</summary>
    public bool MayUsePlainHttp(string authority)
    {
        if (_options.InsecureHosts.Contains(authority)) return true;
        var host = Uri.TryCreate("http://" + authority, UriKind.Absolute, out var uri) ? uri.Host : authority;
        if (_options.InsecureHosts.Contains(host)) return true;
        return host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }

    private bool MayUse(Uri uri) => uri.Scheme == Uri.UriSchemeHttps || MayUsePlainHttp(uri.Authority);

    /// <summary>
    /// Sends the request <paramref name="build"/> makes for each endpoint and attempt. Returns the first answer that is
    /// final: a success, or a non-transient error from the last endpoint (the caller interprets 404 and the like).
    /// </summary>
    /// <remarks>
    /// The reference's registry picks the endpoints (those with <paramref name="capability"/>), its repository and
    /// <paramref name="actions"/> (<c>pull</c> or <c>pull,push</c>) make the token scope.
    /// </remarks>
    public async Task<RegistryResponse> SendAsync(
        ImageReference reference,
        HostCapabilities capability,
        string actions,
        Func<RegistryEndpoint, HttpRequestMessage> build,
        CancellationToken cancellationToken)
    {
        var endpoints = _hosts.GetEndpoints(reference.Registry).Where(e => (e.Capabilities & capability) != 0).ToList();
        if (endpoints.Count == 0) throw new RegistryException($"no endpoint of {reference.Registry} is configured for {capability}");
        var scope = $"repository:{reference.Repository}:{actions}";
        Exception? lastError = null;
        for (var e = 0; e < endpoints.Count; e++)
        {
            var endpoint = endpoints[e];
            var isLast = e == endpoints.Count - 1;
            if (!MayUse(endpoint.ApiRoot))
            {
                lastError = new RegistryException($"{endpoint.Authority} would be reached over plain HTTP but is not configured insecure");
                continue;
            }

            try
            {
                var response = await SendToEndpointAsync(endpoint, scope, build, cancellationToken).ConfigureAwait(false);
                if (response.Message.IsSuccessStatusCode || isLast) return response;
                RegistryLog.MirrorFailed(_logger, endpoint.Authority, (int)response.StatusCode);
                response.Dispose();
            }
            catch (RegistryException ex) when (!isLast)
            {
                RegistryLog.MirrorError(_logger, endpoint.Authority, ex.Message);
                lastError = ex;
            }
        }

        throw lastError ?? new RegistryException($"no usable endpoint for {reference.Registry}");
    }

    private async Task<RegistryResponse> SendToEndpointAsync(
        RegistryEndpoint endpoint, string scope, Func<RegistryEndpoint, HttpRequestMessage> build, CancellationToken cancellationToken)
    {
        var client = _clients.For(endpoint);
        var challengesAnswered = 0; // anonymous -> token, then one renewal of a refused token
        Exception? lastError = null;
        HttpStatusCode? lastStatus = null;
        for (var attempt = 1; attempt <= _retry.MaxAttempts; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var deadline = new CancellationTokenSource(_options.RequestTimeout);
            HttpResponseMessage? response = null;
            AuthenticationHeaderValue? authorization = null;
            try
            {
                using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
                authorization = await _auth.AuthorizeAsync(endpoint.Authority, scope, linked.Token).ConfigureAwait(false);
                using var request = build(endpoint);
                request.Headers.Authorization = authorization;
                foreach (var (name, values) in endpoint.Headers) request.Headers.TryAddWithoutValidation(name, values);
                linked.CancelAfter(_options.ResponseHeadersTimeout);
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransportFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                deadline.Dispose();
                lastError = ex;
                lastStatus = null;
                RegistryLog.Retrying(_logger, endpoint.Authority, attempt, ex.GetType().Name);
                if (attempt < _retry.MaxAttempts) await Task.Delay(_retry.DelayAfter(attempt, null), cancellationToken).ConfigureAwait(false);
                continue;
            }
            catch
            {
                deadline.Dispose();
                throw;
            }

            if (response.StatusCode == HttpStatusCode.Unauthorized && challengesAnswered < 2 &&
                await _auth.OnUnauthorizedAsync(endpoint.Authority, scope, response, authorization, cancellationToken).ConfigureAwait(false))
            {
                challengesAnswered++;
                attempt--; // answering a challenge is not a failed attempt
                response.Dispose();
                deadline.Dispose();
                continue;
            }

            if (RetryPolicy.IsTransient(response.StatusCode) && attempt < _retry.MaxAttempts)
            {
                lastStatus = response.StatusCode;
                RegistryLog.Retrying(_logger, endpoint.Authority, attempt, ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture));
                var delay = _retry.DelayAfter(attempt, response);
                response.Dispose();
                deadline.Dispose();
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                continue;
            }

            return new RegistryResponse(response, deadline, endpoint);
        }

        throw new RegistryException(
            $"{endpoint.Authority} failed after {_retry.MaxAttempts} attempts: {lastError?.Message ?? lastStatus?.ToString()}", lastStatus, lastError);
    }

    /// <summary>Connection errors, resets and timeouts (a cancellation not asked for by the caller).</summary>
    internal static bool IsTransportFailure(Exception ex) => ex is HttpRequestException or IOException or OperationCanceledException;

    public void Dispose() => _clients.Dispose();
}
