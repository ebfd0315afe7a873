namespace PluggableSnapshotter.Fidelity.Tests.Listing;

/// <summary>Compares two listings of <see cref="RawTreeLister"/> by path and shows the first differences, each with both lines.</summary>
public static class ListingDiff
{
    /// <summary>Every difference, one readable block each; empty when the trees are the same.</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<string> expected, IReadOnlyList<string> actual)
    {
        var want = expected.ToDictionary(PathOf, StringComparer.Ordinal);
        var got = actual.ToDictionary(PathOf, StringComparer.Ordinal);
        var differences = new List<string>();
        foreach (var path in want.Keys.Union(got.Keys).Order(StringComparer.Ordinal))
        {
            var (a, b) = (want.GetValueOrDefault(path), got.GetValueOrDefault(path));
            if (a == b) continue;
            differences.Add(a is null ? $"+ {b}" : b is null ? $"- {a}" : $"- {a}\n+ {b}");
        }
        return differences;
    }

    /// <summary>The first <paramref name="count"/> differences and how many there are in all, for an assertion message.</summary>
    public static string Show(IReadOnlyList<string> differences, int count = 15) =>
        $"{differences.Count} entries differ (- containerd, + ours):\n{string.Join('\n', differences.Take(count))}" +
        (differences.Count > count ? $"\n… {differences.Count - count} more" : "");

    // The escaped path is the line up to its first space (names have their spaces escaped).
    private static string PathOf(string line) => line[..line.IndexOf(' ', StringComparison.Ordinal)];
}
