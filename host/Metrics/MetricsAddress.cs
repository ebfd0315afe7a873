using System.Net;

namespace PluggableSnapshotter.Host.Metrics;

/// <summary>
/// Where the Prometheus endpoint listens (<c>metrics_address</c> in plugins.yaml, as SOCI's config.toml names it):
/// <c>host:port</c> on loopback, or <c>unix:/path</c>. Metrics name images and layers, so they are not offered to the
/// network; a scraper elsewhere reaches them through a sidecar or the node's own agent.
/// </summary>
internal sealed record MetricsAddress
{
    private MetricsAddress(IPEndPoint? tcp, string? unixPath) => (Tcp, UnixPath) = (tcp, unixPath);

    /// <summary>The loopback address and port; null for a unix socket.</summary>
    public IPEndPoint? Tcp { get; }

    /// <summary>The unix socket's path; null for TCP.</summary>
    public string? UnixPath { get; }

    /// <summary>Parses <paramref name="text"/>, or says why it is not an address.</summary>
    public static MetricsAddress? TryParse(string text, out string? error)
    {
        error = null;
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            if (!Path.IsPathRooted(path))
            {
                error = $"'{text}': unix: needs an absolute path";
                return null;
            }
            return new MetricsAddress(null, path);
        }
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !ushort.TryParse(text[(colon + 1)..], out var port) || port == 0)
        {
            error = $"'{text}' is not host:port or unix:/path";
            return null;
        }
        var host = text[..colon].Trim('[', ']');
        var address = host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(host, out var parsed) ? parsed : null;
        if (address is null || !IPAddress.IsLoopback(address))
        {
            error = $"'{text}': the host must be a loopback address (127.0.0.1, [::1] or localhost)";
            return null;
        }
        return new MetricsAddress(new IPEndPoint(address, port), null);
    }

    public override string ToString() => UnixPath is not null ? $"unix:{UnixPath}"
        : Tcp!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Tcp.Address}]:{Tcp.Port}" : $"{Tcp.Address}:{Tcp.Port}";
}
