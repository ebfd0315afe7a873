using PluggableSnapshotter.TestSupport.Plugins;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>
/// A backend plugin built by the test outside the solution and published with ReadyToRun code for linux-x64 (as
/// scripts/build.sh publishes the repository's plugins), with a <c>Probe</c> class whose one method needs no SDK type,
/// so crossgen2 precompiles it whatever it is given as references.
/// </summary>
public sealed class ReadyToRunTestPlugin : IAsyncLifetime
{
    private readonly string _workspace = Directory.CreateTempSubdirectory("psnap-r2r-plugin-").FullName;

    public string Folder => Path.Combine(_workspace, "out");

    public string Workspace => _workspace;

    public async Task InitializeAsync()
    {
        var source = Directory.CreateDirectory(Path.Combine(_workspace, "src")).FullName;
        var sdk = typeof(PluggableSnapshotter.Sdk.IFileSystem).Assembly.Location;
        await File.WriteAllTextAsync(Path.Combine(source, "TestPlugin.ReadyToRun.csproj"), OutOfTreePluginProject.Text("TestPlugin.ReadyToRun", sdk, properties: """
            <RuntimeIdentifier>linux-x64</RuntimeIdentifier>
            <SelfContained>false</SelfContained>
            <PublishReadyToRun>true</PublishReadyToRun>
            """));
        await File.WriteAllTextAsync(Path.Combine(source, "Plugin.cs"), """
            using Microsoft.Extensions.DependencyInjection;
            using PluggableSnapshotter.Sdk;

            public sealed class Plugin : ISnapshotterPlugin
            {
                public void ConfigureServices(IServiceCollection services, PluginContext context) =>
                    services.AddSingleton<IFileSystem>(new ProbeFileSystem());
            }

            public sealed class ProbeFileSystem : IFileSystem
            {
                public BackendCapabilities Capabilities => BackendCapabilities.Local;
            }

            public static class Probe
            {
                public static int Answer() => 42;
            }
            """);
        await ProcessRunner.RunCheckedAsync("dotnet", ["publish", source, "-c", "Release", "-o", Folder, "--nologo", "-v", "quiet"], CancellationToken.None);
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_workspace, recursive: true);
        return Task.CompletedTask;
    }
}
