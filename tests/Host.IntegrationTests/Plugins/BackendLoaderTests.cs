using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>Loading really built plugins from folders the host was never built with.</summary>
public class BackendLoaderTests(BuiltTestPlugins plugins) : IClassFixture<BuiltTestPlugins>
{
    private readonly BackendLoader _loader = new(NullLoggerFactory.Instance, TimeProvider.System);

    private PluginsConfig Config(string yaml) => PluginsConfigLoader.Parse(Path.Combine(plugins.Workspace, "plugins.yaml"), yaml);

    private static async Task<JsonElement> ReportAsync(IFileSystem fileSystem)
    {
        var mountpoint = Directory.CreateTempSubdirectory("psnap-mp-").FullName;
        try
        {
            var layer = new LayerRequest { Mountpoint = mountpoint, Key = "default/1/k", Namespace = "default", Labels = new Dictionary<string, string>() };
            Assert.True((await fileSystem.MountLocalAsync(layer, [], CancellationToken.None)).IsMounted);
            return JsonSerializer.Deserialize<JsonElement>(await File.ReadAllTextAsync(Path.Combine(mountpoint, "report.json")));
        }
        finally
        {
            Directory.Delete(mountpoint, recursive: true);
        }
    }

    [Fact]
    public async Task LoadAll_PluginsWithConflictingDependencyVersions_EachRunsItsOwnVersion()
    {
        var config = Config($"""
            plugins:
              - name: old-json
                path: {plugins.Json12Folder}
                settings:
                  greeting: hello
              - name: new-json
                path: {plugins.Json13Folder}
            """);
        var root = Directory.CreateTempSubdirectory("psnap-root-").FullName;
        var loaded = _loader.LoadAll(config.Plugins, root);
        try
        {
            var old = await ReportAsync(loaded.Single(p => p.Name == "old-json").FileSystem);
            var current = await ReportAsync(loaded.Single(p => p.Name == "new-json").FileSystem);

            Assert.Equal("12.0.0.0", old.GetProperty("Json").GetString());
            Assert.Equal("13.0.0.0", current.GetProperty("Json").GetString());
            Assert.Equal("hello", old.GetProperty("Greeting").GetString());
            Assert.Equal("new-json", current.GetProperty("Plugin").GetString());
            Assert.True(Directory.Exists(Path.Combine(root, "plugins", "old-json")));
        }
        finally
        {
            foreach (var plugin in loaded)
            {
                await plugin.DisposeAsync();
            }
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void LoadAll_BrokenPlugin_IsNamedInTheError()
    {
        var broken = Directory.CreateDirectory(Path.Combine(plugins.Workspace, "broken")).FullName;
        File.WriteAllText(Path.Combine(broken, "Broken.dll"), "this is not an assembly");
        var config = Config($"""
            plugins:
              - name: good
                path: {plugins.Json13Folder}
              - name: broken
                path: {broken}
                assembly: Broken.dll
            """);

        var error = Assert.Throws<PluginLoadException>(() => _loader.LoadAll(config.Plugins, Directory.CreateTempSubdirectory("psnap-root-").FullName));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("plugin 'broken'", failure);
        Assert.Contains("Broken.dll", failure);
    }

    [Fact]
    public void LoadAll_AssemblyWithoutEntryPoint_SaysWhatIsMissing()
    {
        // The SDK itself is an assembly without an ISnapshotterPlugin class.
        var folder = Directory.CreateDirectory(Path.Combine(plugins.Workspace, "no-entry")).FullName;
        File.Copy(typeof(IFileSystem).Assembly.Location, Path.Combine(folder, "NoEntry.dll"), overwrite: true);
        var config = Config($"""
            plugins:
              - name: no-entry
                path: {folder}
                assembly: NoEntry.dll
            """);

        var error = Assert.Throws<PluginLoadException>(() => _loader.LoadAll(config.Plugins, Directory.CreateTempSubdirectory("psnap-root-").FullName));

        Assert.Contains("plugin 'no-entry'", error.Message);
        Assert.Contains("ISnapshotterPlugin", error.Message);
    }

    [Fact]
    public void LoadAll_PluginBuiltAgainstAnotherSdkMajorVersion_IsRefusedWithBothVersions()
    {
        var config = Config($"""
            plugins:
              - name: future
                path: {plugins.Sdk2PluginFolder}
            """);

        var error = Assert.Throws<PluginLoadException>(() => _loader.LoadAll(config.Plugins, Directory.CreateTempSubdirectory("psnap-root-").FullName));

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith("plugin 'future'", failure);
        Assert.Contains($"built against PluggableSnapshotter.Sdk 2.0.0.0, but this host provides {typeof(IFileSystem).Assembly.GetName().Version}", failure);
        Assert.Contains("rebuild the plugin against SDK 1.x", failure);
    }

    [Fact]
    public void Validate_PluginBuiltAgainstAnotherSdkMajorVersion_ReportedAtItsLine()
    {
        var path = Path.Combine(plugins.Workspace, "future.yaml");
        File.WriteAllText(path, $"""
            plugins:
              - name: future
                path: {plugins.Sdk2PluginFolder}
            """);

        var reading = PluginsConfigLoader.Validate(path, Directory.CreateTempSubdirectory("psnap-root-").FullName);

        Assert.Contains(reading.Errors.ToList(), e => e.Contains("line 2", StringComparison.Ordinal) && e.Contains("built against PluggableSnapshotter.Sdk 2.0.0.0", StringComparison.Ordinal));
    }
}
