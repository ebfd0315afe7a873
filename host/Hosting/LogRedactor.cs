using System.Text.RegularExpressions;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// The last line of defence against credentials in the log: every rendered line passes through it, whatever logged it
/// (our code logs none; a plugin, a library or an exception message might). It masks Authorization header values,
/// bearer/basic credentials, user:password in URLs, and values of keys that name a secret (token, password, secret,
/// auth, identitytoken), in text and JSON alike.
/// </summary>
internal static partial class LogRedactor
{
    public const string Mask = "[REDACTED]";

    /// <summary>The line with every credential it holds masked; the line itself when it holds none (no allocation).</summary>
    public static string Redact(string line)
    {
        if (!MayHoldSecret(line))
        {
            return line;
        }
        line = UrlCredentials().Replace(line, "://" + Mask + "@");
        line = AuthorizationScheme().Replace(line, m => m.Groups[1].Value + Mask);
        line = SecretKeyValue().Replace(line, m => m.Groups[1].Value + Mask);
        return line;
    }

    // Cheap test first: most lines hold none of these words.
    private static bool MayHoldSecret(string line) =>
        line.Contains('@') || line.Contains("bearer", StringComparison.OrdinalIgnoreCase) || line.Contains("basic", StringComparison.OrdinalIgnoreCase)
        || line.Contains("token", StringComparison.OrdinalIgnoreCase) || line.Contains("passw", StringComparison.OrdinalIgnoreCase)
        || line.Contains("secret", StringComparison.OrdinalIgnoreCase) || line.Contains("auth", StringComparison.OrdinalIgnoreCase);

    // scheme://user:password@host
    [GeneratedRegex(@"://[^/\s:@""]+:[^/\s@""]+@")]
    private static partial Regex UrlCredentials();

    // "Bearer eyJ...", "Basic YWxp...", also after "Authorization: ". A credential has a digit or one of .=+/_- in it,
    // which keeps prose such as "asked for Bearer authentication" readable.
    [GeneratedRegex(@"(\b(?:Bearer|Basic)\s+)(?=[A-Za-z0-9\-._~+/]*[0-9.=+/_\-])[A-Za-z0-9\-._~+/]+=*", RegexOptions.IgnoreCase)]
    private static partial Regex AuthorizationScheme();

    // token=..., password: ..., "access_token":"..." (also JSON-escaped inside a JSON string), Authorization=...: the
    // value up to a separator.
    [GeneratedRegex(@"((?:\\?""|\b)(?:[A-Za-z_]*token|password|passwd|secret|authorization|auth|identitytoken)\\?""?\s*[=:]\s*\\?""?)(?!\[REDACTED\])([^\s"",;&}\\]+)",
        RegexOptions.IgnoreCase)]
    private static partial Regex SecretKeyValue();
}
