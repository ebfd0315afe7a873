using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Registry.Auth;

/// <summary>
/// Authorizes requests per the distribution spec's token flow: anonymous until a registry answers 401, then
/// the challenge's scheme (Basic with the host's credentials, or a Bearer token for the request's scope from the
/// challenge's realm, cached per scope and renewed when the registry refuses it).
/// </summary>
internal sealed class RegistryAuthenticator(
    ICredentialProvider? credentials,
    Func<Uri, HttpClient> clientFor,
    Func<Uri, bool> mayUse,
    ILogger logger,
    TimeProvider time)
{
    private const string ClientId = "pluggable-snapshotter";
    private const int TokenAttempts = 3;
    private static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromSeconds(60);
    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);
    private readonly TokenCache _tokens = new(time);

    /// <summary>The Authorization header to send to <paramref name="host"/> for <paramref name="scope"/>, or null (anonymous).</summary>
    public async ValueTask<AuthenticationHeaderValue?> AuthorizeAsync(string host, string scope, CancellationToken cancellationToken)
    {
        if (!_challenges.TryGetValue(host, out var challenge)) return null;
        if (challenge.IsBasic)
        {
            var creds = await credentials.LookupAsync(host, cancellationToken).ConfigureAwait(false);
            return creds?.Username is null ? null : BasicHeader(creds);
        }

        var token = _tokens.Get(host, scope) ?? await FetchTokenAsync(host, scope, challenge, cancellationToken).ConfigureAwait(false);
        return new AuthenticationHeaderValue("Bearer", token);
    }

    /// <summary>
    /// Learns from a 401: records the challenge and drops a refused token. Returns false when retrying cannot help
    /// (no usable challenge, or Basic without credentials).
    /// </summary>
    public async ValueTask<bool> OnUnauthorizedAsync(string host, string scope, HttpResponseMessage response, AuthenticationHeaderValue? sent, CancellationToken cancellationToken)
    {
        var challenge = response.Headers.WwwAuthenticate
            .SelectMany(h => AuthChallenge.Parse(h.Scheme + " " + h.Parameter))
            .FirstOrDefault(c => c.IsBearer || c.IsBasic);
        if (challenge is null) return false;
        if (challenge.IsBasic && (await credentials.LookupAsync(host, cancellationToken).ConfigureAwait(false))?.Username is null)
            return false;
        _challenges[host] = challenge;
        if (sent is { Scheme: "Bearer", Parameter: { } refused }) _tokens.Invalidate(host, scope, refused);
        RegistryLog.AuthChallenge(logger, host, challenge.Scheme);
        return true;
    }

    private async Task<string> FetchTokenAsync(string host, string scope, AuthChallenge challenge, CancellationToken cancellationToken)
    {
        if (challenge["realm"] is not { } realmText || !Uri.TryCreate(realmText, UriKind.Absolute, out var realm))
            throw new RegistryException($"registry {host} sent a Bearer challenge without a valid realm", HttpStatusCode.Unauthorized);
        if (!mayUse(realm))
            throw new RegistryException($"registry {host} points its token realm at {realm.GetLeftPart(UriPartial.Authority)} over plain HTTP, which is not configured insecure", HttpStatusCode.Unauthorized);

        var creds = await credentials.LookupAsync(host, cancellationToken).ConfigureAwait(false);
        var service = challenge["service"];
        // A challenge may name the scope it wants (e.g. after insufficient_scope); ask for it too, as containerd does,
        // when it is about the same repository (the stored challenge may come from a request for another one).
        var repositoryPrefix = scope[..(scope.LastIndexOf(':') + 1)];
        string[] scopes = challenge["scope"] is { Length: > 0 } asked && asked != scope && asked.StartsWith(repositoryPrefix, StringComparison.Ordinal)
            ? [scope, asked]
            : [scope];
        var client = clientFor(realm);
        using var response = await SendTokenRequestAsync(client, realm, service, scopes, creds, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new RegistryException($"token server {realm.GetLeftPart(UriPartial.Path)} refused a token for {scope} on {host}: {(int)response.StatusCode} {response.ReasonPhrase}", response.StatusCode == HttpStatusCode.Unauthorized ? HttpStatusCode.Unauthorized : response.StatusCode);

        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var (token, lifetime) = ParseTokenResponse(body, realm);
        _tokens.Put(host, scope, token, lifetime);
        RegistryLog.TokenFetched(logger, host, scope, (int)lifetime.TotalSeconds);
        return token;
    }

    // Token servers fail like registries do: retry connection errors, 429 and 5xx a few times with a short backoff.
    private static async Task<HttpResponseMessage> SendTokenRequestAsync(
        HttpClient client, Uri realm, string? service, string[] scopes, RegistryCredentials? creds, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            HttpResponseMessage? response = null;
            try
            {
                response = creds?.IdentityToken is not null
                    ? await client.PostAsync(realm, RefreshForm(creds.IdentityToken, service, string.Join(' ', scopes)), cancellationToken).ConfigureAwait(false)
                    : await GetTokenAsync(client, realm, service, scopes, creds, cancellationToken).ConfigureAwait(false);
                if (attempt >= TokenAttempts || !Transport.RetryPolicy.IsTransient(response.StatusCode)) return response;
            }
            catch (HttpRequestException) when (attempt < TokenAttempts)
            {
            }

            response?.Dispose();
            await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task<HttpResponseMessage> GetTokenAsync(HttpClient client, Uri realm, string? service, string[] scopes, RegistryCredentials? creds, CancellationToken cancellationToken)
    {
        var query = new StringBuilder(realm.Query.Length > 1 ? realm.Query[1..] + "&" : "");
        if (service is not null) query.Append("service=").Append(Uri.EscapeDataString(service)).Append('&');
        query.AppendJoin('&', scopes.Select(s => "scope=" + Uri.EscapeDataString(s)));
        var uri = new UriBuilder(realm) { Query = query.ToString() }.Uri;
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        if (creds?.Username is not null) request.Headers.Authorization = BasicHeader(creds);
        return await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private static FormUrlEncodedContent RefreshForm(string identityToken, string? service, string scope) => new(
    [
        new("grant_type", "refresh_token"),
        new("refresh_token", identityToken),
        new("service", service ?? ""),
        new("scope", scope),
        new("client_id", ClientId),
    ]);

    private static (string Token, TimeSpan Lifetime) ParseTokenResponse(byte[] body, Uri realm)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            string? token = null;
            if (root.TryGetProperty("token", out var t) && t.ValueKind == JsonValueKind.String) token = t.GetString();
            if (string.IsNullOrEmpty(token) && root.TryGetProperty("access_token", out var a) && a.ValueKind == JsonValueKind.String) token = a.GetString();
            if (string.IsNullOrEmpty(token)) throw new InvalidDataException($"token server {realm.GetLeftPart(UriPartial.Path)} answered without a token");
            var lifetime = root.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) && seconds > 0
                ? TimeSpan.FromSeconds(seconds)
                : DefaultTokenLifetime;
            return (token, lifetime);
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"token server {realm.GetLeftPart(UriPartial.Path)} answered with invalid JSON", ex);
        }
    }

    private static AuthenticationHeaderValue BasicHeader(RegistryCredentials creds) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{creds.Username}:{creds.Password}")));
}
