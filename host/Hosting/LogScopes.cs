using Microsoft.Extensions.Logging;

namespace PluggableSnapshotter.Host.Hosting;

/// <summary>
/// The key=value pairs of an event's scopes, outermost first, each key once (the innermost value wins): a scope made
/// from a dictionary or a message template (<c>BeginScope("layer {LayerDigest} of {ImageReference}", ...)</c>) gives
/// its named values; a scope of any other type is shown under <c>scope</c>.
/// </summary>
internal static class LogScopes
{
    private const string OriginalFormat = "{OriginalFormat}";

    public static List<KeyValuePair<string, object?>> Collect(IExternalScopeProvider? scopes)
    {
        var pairs = new List<KeyValuePair<string, object?>>();
        scopes?.ForEachScope(static (scope, list) =>
        {
            if (scope is IEnumerable<KeyValuePair<string, object?>> values)
            {
                foreach (var (key, value) in values)
                {
                    if (key != OriginalFormat)
                    {
                        Set(list, key, value);
                    }
                }
            }
            else if (scope is not null)
            {
                Set(list, "scope", scope.ToString());
            }
        }, pairs);
        return pairs;
    }

    /// <summary>The named values of a log message's state, without its template.</summary>
    public static IEnumerable<KeyValuePair<string, object?>> StateValues<TState>(TState state) =>
        state is IEnumerable<KeyValuePair<string, object?>> values ? values.Where(v => v.Key != OriginalFormat) : [];

    private static void Set(List<KeyValuePair<string, object?>> list, string key, object? value)
    {
        var index = list.FindIndex(p => p.Key == key);
        if (index >= 0)
        {
            list[index] = new(key, value);
        }
        else
        {
            list.Add(new(key, value));
        }
    }
}
