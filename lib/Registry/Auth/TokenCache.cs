using System.Collections.Concurrent;

namespace PluggableSnapshotter.Registry.Auth;

/// <summary>Bearer tokens per (host, scope), kept until shortly before they expire.</summary>
internal sealed class TokenCache(TimeProvider time)
{
    // Renew a little early so a token does not expire between the lookup and the request.
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<(string Host, string Scope), (string Token, DateTimeOffset Expires)> _tokens = new();

    public string? Get(string host, string scope) =>
        _tokens.TryGetValue((host, scope), out var entry) && entry.Expires > time.GetUtcNow() ? entry.Token : null;

    public void Put(string host, string scope, string token, TimeSpan lifetime)
    {
        var usable = lifetime > ExpiryMargin * 2 ? lifetime - ExpiryMargin : lifetime / 2;
        _tokens[(host, scope)] = (token, time.GetUtcNow() + usable);
    }

    /// <summary>Drops <paramref name="token"/> (one the registry refused) unless another request already replaced it.</summary>
    public void Invalidate(string host, string scope, string token)
    {
        if (_tokens.TryGetValue((host, scope), out var entry) && entry.Token == token)
            _tokens.TryRemove(KeyValuePair.Create((host, scope), entry));
    }
}
