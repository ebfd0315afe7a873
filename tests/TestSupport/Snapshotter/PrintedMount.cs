using System.Text.Json;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.TestSupport.Snapshotter;

/// <summary>
/// The one mount `ctr snapshots view --mounts` prints (JSON) for a view of an image's chain. Making the view and reading
/// its mounts in one command matters: ctr holds a lease only while a command runs, so containerd's garbage collector may
/// remove a view between two commands.
/// </summary>
public sealed record PrintedMount(string Type, string Source, IReadOnlyList<string> Options)
{
    /// <summary>Reads the single mount of <paramref name="json"/> (ctr's output; property names in any case).</summary>
    public static PrintedMount Parse(string json)
    {
        using var document = JsonDocument.Parse(json);
        var mount = document.RootElement.EnumerateArray().Single();
        return new PrintedMount(
            Property(mount, "type").GetString()!,
            Property(mount, "source").GetString()!,
            [.. Property(mount, "options").EnumerateArray().Select(o => o.GetString()!)]);
    }

    /// <summary>mount(8)s it at <paramref name="target"/>.</summary>
    public async Task MountAtAsync(string target, CancellationToken ct) =>
        (await ProcessRunner.RunAsync("mount", ["-t", Type, "-o", string.Join(',', Options), Source, target], ct)).EnsureSuccess();

    private static JsonElement Property(JsonElement element, string name) =>
        element.EnumerateObject().First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;
}
