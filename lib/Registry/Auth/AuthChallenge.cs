namespace PluggableSnapshotter.Registry.Auth;

/// <summary>
/// One challenge of a <c>WWW-Authenticate</c> header (RFC 7235): a scheme and its parameters,
/// e.g. <c>Bearer realm="https://auth.example/token",service="registry.example"</c>.
/// </summary>
public sealed record AuthChallenge(string Scheme, IReadOnlyDictionary<string, string> Parameters)
{
    /// <summary>The value of parameter <paramref name="name"/>, or null.</summary>
    public string? this[string name] => Parameters.TryGetValue(name, out var value) ? value : null;

    /// <summary>True for the Bearer scheme.</summary>
    public bool IsBearer => string.Equals(Scheme, "Bearer", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for the Basic scheme.</summary>
    public bool IsBasic => string.Equals(Scheme, "Basic", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses every challenge of a header value; unparseable parts are skipped.</summary>
    public static IReadOnlyList<AuthChallenge> Parse(string header)
    {
        var challenges = new List<AuthChallenge>();
        var i = 0;
        while (i < header.Length)
        {
            SkipSeparators(header, ref i);
            var scheme = ReadToken(header, ref i);
            if (scheme.Length == 0) break;
            var parameters = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            while (true)
            {
                SkipSeparators(header, ref i);
                var save = i;
                var name = ReadToken(header, ref i);
                SkipSpaces(header, ref i);
                if (name.Length == 0 || i >= header.Length || header[i] != '=')
                {
                    i = save; // the next scheme begins here
                    break;
                }

                i++;
                SkipSpaces(header, ref i);
                parameters[name] = i < header.Length && header[i] == '"' ? ReadQuoted(header, ref i) : ReadToken(header, ref i);
            }

            challenges.Add(new AuthChallenge(scheme, parameters));
        }

        return challenges;
    }

    private static void SkipSpaces(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t') i++;
    }

    private static void SkipSeparators(string s, ref int i)
    {
        while (i < s.Length && s[i] is ' ' or '\t' or ',') i++;
    }

    private static string ReadToken(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && s[i] is not (' ' or '\t' or ',' or '=' or '"')) i++;
        return s[start..i];
    }

    private static string ReadQuoted(string s, ref int i)
    {
        var builder = new System.Text.StringBuilder();
        i++; // opening quote
        while (i < s.Length && s[i] != '"')
        {
            if (s[i] == '\\' && i + 1 < s.Length) i++;
            builder.Append(s[i++]);
        }

        i++; // closing quote
        return builder.ToString();
    }
}
