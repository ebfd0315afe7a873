using System.Diagnostics.Metrics;

namespace PluggableSnapshotter.Registry.Downloads;

/// <summary>
/// SOCI's <c>layer_fetched_size</c>: compressed layer bytes fetched from registries, by kind of fetch (on_demand,
/// background, whole_layer). Every backend records into this one name; the host labels each series with the backend.
/// </summary>
public sealed class FetchedBytes(Meter? meter)
{
    /// <summary>The metric's name, as SOCI's dashboards know it.</summary>
    public const string Name = "soci_fs_layer_fetched_size_bytes";

    private readonly Counter<long>? _counter = meter?.CreateCounter<long>(Name, "By",
        "Compressed layer bytes fetched from registries, by fetch: on_demand, background, whole_layer");

    /// <summary>Counts <paramref name="bytes"/> fetched as <paramref name="fetch"/>; an unknown size (below 1) counts nothing.</summary>
    public void Add(string fetch, long bytes)
    {
        if (bytes > 0) _counter?.Add(bytes, new KeyValuePair<string, object?>("fetch", fetch));
    }
}
