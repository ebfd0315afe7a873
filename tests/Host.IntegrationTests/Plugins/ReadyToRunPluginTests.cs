using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Host.Plugins;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>
/// A plugin published with ReadyToRun code runs it once the daemon has loaded it, after the settings check opened it:
/// the runtime uses an image's precompiled code in the first load context that opens the file only.
/// </summary>
public class ReadyToRunPluginTests(ReadyToRunTestPlugin plugin) : IClassFixture<ReadyToRunTestPlugin>
{
    [Fact]
    public async Task LoadAll_AfterTheSettingsCheck_RunsThePluginsPrecompiledCode()
    {
        var path = Path.Combine(plugin.Workspace, "plugins.yaml");
        File.WriteAllText(path, $"""
            plugins:
              - name: r2r
                path: {plugin.Folder}
            """);
        var root = Directory.CreateTempSubdirectory("psnap-root-").FullName;
        var reading = PluginsConfigLoader.Validate(path, root);
        Assert.Empty(reading.Errors.ToList());
        var loaded = new BackendLoader(NullLoggerFactory.Instance, TimeProvider.System).LoadAll(reading.Config.Plugins, root);
        try
        {
            var probe = loaded.Single().FileSystem.GetType().Assembly.GetType("Probe", throwOnError: true)!
                .GetMethod("Answer")!.CreateDelegate<Func<int>>();

            // The first call goes through the runtime's prestub: precompiled code is used as is, otherwise it is JIT-compiled.
            var before = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true);
            var answer = probe();
            var compiled = System.Runtime.JitInfo.GetCompiledMethodCount(currentThread: true) - before;

            Assert.Equal(42, answer);
            Assert.Equal(0, compiled);
        }
        finally
        {
            foreach (var loadedPlugin in loaded)
            {
                await loadedPlugin.DisposeAsync();
            }
            Directory.Delete(root, recursive: true);
        }
    }
}
