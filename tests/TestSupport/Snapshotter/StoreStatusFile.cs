using System.Text.Json;

namespace PluggableSnapshotter.TestSupport.Snapshotter;

/// <summary>A lazy backend's <c>status.json</c> (what operators read): the state of each layer its store knows.</summary>
public static class StoreStatusFile
{
    /// <summary>State per layer digest ("lazy", "queued", "filling", "local", "failed"); null until the file is written (or while it cannot be read).</summary>
    public static IReadOnlyDictionary<string, string>? Read(string path)
    {
        try
        {
            using var json = JsonDocument.Parse(File.ReadAllBytes(path));
            return json.RootElement.GetProperty("layers").EnumerateArray()
                .ToDictionary(l => l.GetProperty("digest").GetString()!, l => l.GetProperty("state").GetString()!, StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// The layers' folders in a lazy backend's store (<c>&lt;state&gt;/store</c>): not its trash (<c>.trash</c>), which may
    /// still hold, for a few milliseconds after a layer's status changed, the files the store dropped.
    /// </summary>
    public static IReadOnlyList<string> LayerFolders(string storeDirectory) =>
        Directory.GetDirectories(storeDirectory).Where(d => !Path.GetFileName(d).StartsWith('.')).ToList();

    /// <summary>Whether the backend's state folder <paramref name="state"/> has a <c>status.json</c> with one layer, local.</summary>
    public static bool OnlyLayerIsLocal(string state) =>
        Read(Path.Combine(state, "status.json")) is { Count: 1 } layers && layers.Values.Single() == "local";
}
