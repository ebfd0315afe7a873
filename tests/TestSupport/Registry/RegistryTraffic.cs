using System.Text.RegularExpressions;

namespace PluggableSnapshotter.TestSupport.Registry;

/// <summary>Bytes docker-registry sent for blobs, read from its "response completed" log lines (logrus fields in name order).</summary>
public static partial class RegistryTraffic
{
    /// <summary>Bytes served for the blobs in <paramref name="digests"/> in the log text <paramref name="log"/>.</summary>
    public static long BlobBytes(string log, IReadOnlyCollection<string> digests)
    {
        long total = 0;
        foreach (Match match in ResponseLine().Matches(log))
        {
            var uri = match.Groups["uri"].Value;
            if (digests.Any(d => uri.EndsWith("/blobs/" + d, StringComparison.Ordinal)))
            {
                total += long.Parse(match.Groups["written"].Value, System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        return total;
    }

    /// <summary>GET requests the registry answered for blob <paramref name="digest"/> in the log text <paramref name="log"/>.</summary>
    public static int BlobRequests(string log, string digest) =>
        log.Split('\n').Count(line => line.Contains("http.request.method=GET", StringComparison.Ordinal)
            && ResponseLine().Match(line) is { Success: true } match && match.Groups["uri"].Value.EndsWith("/blobs/" + digest, StringComparison.Ordinal));

    [GeneratedRegex("""http\.request\.uri="(?<uri>[^"]+)".*?http\.response\.written=(?<written>\d+)""")]
    private static partial Regex ResponseLine();
}
