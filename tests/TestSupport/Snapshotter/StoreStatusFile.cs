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

    /// <summary>
    /// Whether the store's trash (<c>&lt;store&gt;/.trash</c>) is gone within <paramref name="timeout"/> (10 s by default):
    /// what the store dropped is deleted, and no deletion is still running.
    /// </summary>
    public static bool TrashEmptied(string storeDirectory, TimeSpan? timeout = null) =>
        SpinWait.SpinUntil(() => !Directory.Exists(Path.Combine(storeDirectory, ".trash")), timeout ?? TimeSpan.FromSeconds(10));

    /// <summary>
    /// Deletes a test's state folder holding a store (<c>&lt;state&gt;/store</c>) once its trash is emptied: an eviction
    /// for a reader's bytes empties it on the thread pool, which may still be deleting when the test ends.
    /// </summary>
    public static void DeleteState(string state)
    {
        TrashEmptied(Path.Combine(state, "store"));
        Directory.Delete(state, recursive: true);
    }

    /// <summary>Whether the backend's state folder <paramref name="state"/> has a <c>status.json</c> with one layer, local.</summary>
    public static bool OnlyLayerIsLocal(string state) =>
        Read(Path.Combine(state, "status.json")) is { Count: 1 } layers && layers.Values.Single() == "local";
}
