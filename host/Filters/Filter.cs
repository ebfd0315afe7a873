using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.Filters;

/// <summary>
/// A parsed list of containerd filters: a snapshot matches when it satisfies every selector of any one filter
/// (no filters match everything).
/// </summary>
internal sealed class Filter
{
    private readonly IReadOnlyList<IReadOnlyList<Selector>> _alternatives;

    private Filter(IReadOnlyList<IReadOnlyList<Selector>> alternatives) => _alternatives = alternatives;

    /// <summary>Parses <paramref name="filters"/>; a malformed one throws InvalidArgument saying where and what.</summary>
    public static Filter Parse(IReadOnlyList<string> filters)
    {
        var alternatives = new List<IReadOnlyList<Selector>>();
        foreach (var filter in filters)
        {
            if (filter.Length == 0)
            {
                return new Filter([]);
            }
            alternatives.Add(FilterParser.Parse(filter));
        }
        return new Filter(alternatives);
    }

    /// <summary>Whether <paramref name="info"/> matches.</summary>
    public bool Matches(SnapshotInfo info)
    {
        if (_alternatives.Count == 0)
        {
            return true;
        }
        foreach (var selectors in _alternatives)
        {
            if (selectors.All(selector => selector.Matches(path => Field(info, path))))
            {
                return true;
            }
        }
        return false;
    }

    // The fields containerd's snapshot adaptor exposes: kind, name, parent and labels.<key>.
    private static string? Field(SnapshotInfo info, IReadOnlyList<string> path) => path[0] switch
    {
        "kind" => info.Kind switch
        {
            SnapshotKind.Active => "active",
            SnapshotKind.View => "view",
            SnapshotKind.Committed => "committed",
            _ => null,
        },
        "name" => info.Name,
        "parent" => info.Parent,
        "labels" when path.Count > 1 => info.Labels.TryGetValue(string.Join('.', path.Skip(1)), out var value) ? value : null,
        _ => null,
    };
}
