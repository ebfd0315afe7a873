using System.Globalization;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>One scrape of a Prometheus text endpoint: its samples, by metric name and labels.</summary>
public sealed class PrometheusScrape(string text)
{
    public string Text { get; } = text;

    public sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    public IReadOnlyList<Sample> Samples { get; } = Parse(text);

    public static async Task<PrometheusScrape> GetAsync(string url, CancellationToken ct)
    {
        using var http = new HttpClient();
        return new PrometheusScrape(await http.GetStringAsync(url, ct));
    }

    /// <summary>The sum of the samples of <paramref name="name"/> whose labels include every one of <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).Sum(s => s.Value);

    public bool Has(string name) => Samples.Any(s => s.Name == name);

    private static List<Sample> Parse(string text)
    {
        var samples = new List<Sample>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var brace = line.IndexOf('{');
            var space = line.LastIndexOf(' ');
            var labels = new Dictionary<string, string>(StringComparer.Ordinal);
            string name;
            if (brace >= 0 && brace < space)
            {
                name = line[..brace];
                var body = line[(brace + 1)..line.LastIndexOf('}')];
                // Values hold no '",' in our metrics (digests, names, opcodes): split on it.
                foreach (var pair in body.Split("\",", StringSplitOptions.RemoveEmptyEntries))
                {
                    var equals = pair.IndexOf('=');
                    labels[pair[..equals]] = pair[(equals + 1)..].Trim('"');
                }
            }
            else
            {
                name = line[..space];
            }
            var value = line[(space + 1)..];
            samples.Add(new Sample(name, labels, value switch
            {
                "+Inf" => double.PositiveInfinity,
                "NaN" => double.NaN,
                _ => double.Parse(value, CultureInfo.InvariantCulture),
            }));
        }
        return samples;
    }
}
