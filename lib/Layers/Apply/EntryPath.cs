namespace PluggableSnapshotter.Layers.Apply;

/// <summary>
/// The safe, relative form of a tar entry name: <c>./</c> and empty components dropped; absolute names and <c>..</c>
/// components refused, since they would write outside the layer directory.
/// </summary>
internal static class EntryPath
{
    /// <summary>The relative components of <paramref name="name"/> (empty for the layer root).</summary>
    /// <exception cref="InvalidDataException">The name is absolute or has a <c>..</c> component.</exception>
    public static string[] Split(string name, string entryName, string what = "path")
    {
        if (name.StartsWith('/'))
            throw new InvalidDataException($"layer entry '{entryName}' has an absolute {what} '{name}', which would write outside the layer directory");
        if (name.Contains('\0')) throw new InvalidDataException($"layer entry '{entryName}' has a NUL byte in its {what}");
        var parts = name.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var kept = new List<string>(parts.Length);
        foreach (var part in parts)
        {
            if (part == ".") continue;
            if (part == "..")
                throw new InvalidDataException($"layer entry '{entryName}' has '..' in its {what} '{name}', which could write outside the layer directory");
            kept.Add(part);
        }

        return [.. kept];
    }
}
