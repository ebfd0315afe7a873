using System.Text;

namespace PluggableSnapshotter.TestSupport.Containerd;

/// <summary>Writes a containerd 1.6 config.toml (version 2) for a private instance.</summary>
internal static class ContainerdConfig
{
    // CRI needs a CNI setup and is not used; the other snapshotters only slow startup down.
    private static readonly string[] DisabledPlugins =
    [
        "io.containerd.grpc.v1.cri",
        "io.containerd.snapshotter.v1.aufs",
        "io.containerd.snapshotter.v1.btrfs",
        "io.containerd.snapshotter.v1.devmapper",
        "io.containerd.snapshotter.v1.zfs",
        "io.containerd.tracing.processor.v1.otlp",
        "io.containerd.internal.v1.tracing",
    ];

    internal static string Render(string root, string state, string address, IReadOnlyDictionary<string, string> proxySnapshotters)
    {
        var toml = new StringBuilder();
        toml.AppendLine("version = 2");
        toml.AppendLine($"root = {Quote(root)}");
        toml.AppendLine($"state = {Quote(state)}");
        toml.AppendLine($"disabled_plugins = [{string.Join(", ", DisabledPlugins.Select(Quote))}]");
        toml.AppendLine();
        toml.AppendLine("[grpc]");
        toml.AppendLine($"  address = {Quote(address)}");
        toml.AppendLine("[ttrpc]");
        toml.AppendLine($"  address = {Quote(address + ".ttrpc")}");
        toml.AppendLine("[debug]");
        toml.AppendLine("  address = \"\"");
        toml.AppendLine("  level = \"debug\"");
        toml.AppendLine("[metrics]");
        toml.AppendLine("  address = \"\"");
        foreach (var (name, socket) in proxySnapshotters)
        {
            toml.AppendLine();
            toml.AppendLine($"[proxy_plugins.{Quote(name)}]");
            toml.AppendLine("  type = \"snapshot\"");
            toml.AppendLine($"  address = {Quote(socket)}");
        }
        return toml.ToString();
    }

    // TOML basic strings escape like JSON strings.
    private static string Quote(string value) => System.Text.Json.JsonSerializer.Serialize(value);
}
