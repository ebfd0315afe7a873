using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Processes;
using Tomlyn;
using Tomlyn.Model;
using YamlDotNet.RepresentationModel;

namespace PluggableSnapshotter.Host.IntegrationTests.Deploy;

/// <summary>
/// deploy/ without a cluster or systemd: the DaemonSet parses and has what a node needs (privileges, /dev/fuse, host
/// paths with mount propagation, resources, probes on the health endpoint its plugins.yaml configures), the containerd
/// snippet and hosts.toml parse and point at the same socket and root, and the unit files pass systemd-analyze verify (package systemd, from scripts/install-deps.sh).
/// </summary>
public sealed class DeployManifestTests
{
    private static string Deploy(params string[] parts) => Path.Combine([RepositoryPaths.Root, "deploy", .. parts]);

    [Fact]
    public void DaemonSet_Parses_PrivilegedWithFuseHostPathsResourcesAndHealthProbes()
    {
        var documents = LoadYaml(Deploy("kubernetes", "daemonset.yaml"));
        var daemonSet = documents.Single(d => Text(d, "kind") == "DaemonSet");
        Assert.Equal("apps/v1", Text(daemonSet, "apiVersion"));
        var spec = Map(daemonSet, "spec");
        var template = Map(spec, "template");
        foreach (var (key, value) in Map(Map(spec, "selector"), "matchLabels").Children)
        {
            Assert.Equal(((YamlScalarNode)value).Value, Text(Map(Map(template, "metadata"), "labels"), ((YamlScalarNode)key).Value!));
        }
        var pod = Map(template, "spec");
        var container = (YamlMappingNode)((YamlSequenceNode)pod["containers"]).Children.Single();
        Assert.Equal("true", Text(Map(container, "securityContext"), "privileged"));
        var requests = Map(Map(container, "resources"), "requests");
        Assert.NotNull(Text(requests, "cpu"));
        Assert.NotNull(Text(requests, "memory"));

        var args = ((YamlSequenceNode)container["args"]).Children.Select(a => ((YamlScalarNode)a).Value!).ToList();
        var root = Argument(args, "--root");
        var socket = Argument(args, "--address");
        var mounts = ((YamlSequenceNode)container["volumeMounts"]).Children.Cast<YamlMappingNode>().ToList();
        var volumes = ((YamlSequenceNode)pod["volumes"]).Children.Cast<YamlMappingNode>().ToDictionary(v => Text(v, "name")!);
        string HostPathAt(string mountPath)
        {
            var mount = mounts.Single(m => Text(m, "mountPath") == mountPath);
            return Text(Map(volumes[Text(mount, "name")!], "hostPath"), "path")!;
        }
        Assert.Equal("/dev/fuse", HostPathAt("/dev/fuse"));
        Assert.Equal(root, HostPathAt(root));
        Assert.Equal(Path.GetDirectoryName(socket), HostPathAt(Path.GetDirectoryName(socket)!));
        // Mounts the daemon makes under its root must reach the host's containerd.
        Assert.Equal("Bidirectional", Text(mounts.Single(m => Text(m, "mountPath") == root), "mountPropagation"));

        // The probes ask the health endpoint where the ConfigMap's plugins.yaml puts it.
        var configMap = documents.Single(d => Text(d, "kind") == "ConfigMap");
        var pluginsYaml = LoadYaml(Text(Map(configMap, "data"), "plugins.yaml")!, isText: true).Single();
        var address = MetricsAddress.TryParse(Text(pluginsYaml, "metrics_address")!, out var error);
        Assert.True(address?.Tcp is not null, error);
        foreach (var probe in new[] { "readinessProbe", "livenessProbe" })
        {
            var get = Map(Map(container, probe), "httpGet");
            Assert.Equal("/healthz", Text(get, "path"));
            Assert.Equal(address!.Tcp!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), Text(get, "port"));
            Assert.Equal(address.Tcp.Address.ToString(), Text(get, "host"));
        }
        Assert.Equal("true", Text(pod, "hostNetwork")); // the probes reach the node's loopback only so
        Assert.Subset(new HashSet<string> { "snapshotter", "plugins", "chains", "default_chain", "metrics_address" },
            pluginsYaml.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet());
    }

    [Fact]
    public void ContainerdSnippet_Parses_ProxyPluginOnTheDaemonSetsSocketWithCriSnapshotterAndAnnotations()
    {
        var toml = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(Deploy("kubernetes", "containerd.toml")))!;
        var proxy = (TomlTable)((TomlTable)toml["proxy_plugins"])["pluggable"];
        Assert.Equal("snapshot", proxy["type"]);
        var daemonSet = LoadYaml(Deploy("kubernetes", "daemonset.yaml")).Single(d => Text(d, "kind") == "DaemonSet");
        var container = (YamlMappingNode)((YamlSequenceNode)Map(Map(Map(daemonSet, "spec"), "template"), "spec")["containers"]).Children.Single();
        var args = ((YamlSequenceNode)container["args"]).Children.Select(a => ((YamlScalarNode)a).Value!).ToList();
        Assert.Equal(Argument(args, "--address"), proxy["address"]);
        Assert.Equal(Argument(args, "--root"), ((TomlTable)proxy["exports"])["root"]);

        var cri = (TomlTable)((TomlTable)toml["plugins"])["io.containerd.grpc.v1.cri"];
        var containerd = (TomlTable)cri["containerd"];
        Assert.Equal("pluggable", containerd["snapshotter"]);
        Assert.Equal(false, containerd["disable_snapshot_annotations"]);
    }

    [Fact]
    public void MirrorHostsToml_Parses_EveryHostPullsAndResolves()
    {
        var toml = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(Deploy("kubernetes", "mirrors", "docker.io", "hosts.toml")))!;
        Assert.StartsWith("https://", (string)toml["server"], StringComparison.Ordinal);
        var hosts = (TomlTable)toml["host"];
        Assert.True(hosts.Count >= 2);
        foreach (var (_, host) in hosts)
        {
            Assert.Equal(["pull", "resolve"], ((TomlArray)((TomlTable)host)["capabilities"]).Cast<string>());
        }
    }

    [Fact]
    public void SystemdUnits_SocketActivatedNotifyServiceKeepingTheKeeper()
    {
        var service = ReadUnit(Deploy("systemd", "pluggable-snapshotter.service"));
        var socket = ReadUnit(Deploy("systemd", "pluggable-snapshotter.socket"));

        Assert.Equal("notify", service["Service"]["Type"]);
        Assert.Contains("--address fd://", service["Service"]["ExecStart"], StringComparison.Ordinal);
        Assert.Equal("process", service["Service"]["KillMode"]); // the FUSE keeper outlives a stop
        Assert.Equal("pluggable-snapshotter.socket", service["Unit"]["Requires"]);
        Assert.Equal("/run/pluggable-snapshotter/snapshotter.sock", socket["Socket"]["ListenStream"]);
        Assert.Equal("0660", socket["Socket"]["SocketMode"]);
    }

    [Fact]
    public async Task SystemdUnits_SystemdAnalyzeVerify_NoWarnings()
    {
        Assert.True(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is missing: scripts/install-deps.sh installs systemd");
        var dir = Directory.CreateTempSubdirectory("units-").FullName;
        try
        {
            foreach (var unit in Directory.GetFiles(Deploy("systemd")))
            {
                // The binary is not installed here; verify checks that ExecStart's program exists.
                var text = (await File.ReadAllTextAsync(unit)).Replace("/usr/local/lib/pluggable-snapshotter/pluggable-snapshotter", "/bin/true", StringComparison.Ordinal);
                await File.WriteAllTextAsync(Path.Combine(dir, Path.GetFileName(unit)), text);
            }
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            var result = await ProcessRunner.RunAsync("systemd-analyze",
                ["verify", "--man=no", Path.Combine(dir, "pluggable-snapshotter.socket"), Path.Combine(dir, "pluggable-snapshotter.service")], timeout.Token);
            Assert.True(result.ExitCode == 0 && result.StandardError.Trim().Length == 0, result.StandardError);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static List<YamlMappingNode> LoadYaml(string pathOrText, bool isText = false)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(isText ? pathOrText : File.ReadAllText(pathOrText)));
        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[key];

    private static string? Text(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value : null;

    private static string Argument(List<string> args, string name) =>
        args.Single(a => a.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];

    /// <summary>A unit file's sections and keys (the last assignment of a key wins, as for these keys in systemd).</summary>
    private static Dictionary<string, Dictionary<string, string>> ReadUnit(string path)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        Dictionary<string, string>? current = null;
        foreach (var raw in File.ReadAllLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';') continue;
            if (line[0] == '[')
            {
                sections[line.Trim('[', ']')] = current = new Dictionary<string, string>(StringComparer.Ordinal);
                continue;
            }
            var equals = line.IndexOf('=');
            Assert.True(current is not null && equals > 0, $"{path}: '{line}' is outside a section or not key=value");
            current[line[..equals]] = line[(equals + 1)..];
        }
        return sections;
    }
}
