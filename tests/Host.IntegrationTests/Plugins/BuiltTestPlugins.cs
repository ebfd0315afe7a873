using PluggableSnapshotter.TestSupport.Plugins;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>
/// Two backend plugins written and built by the test, outside the solution, against the SDK assembly only, as a third
/// party would: each uses its own version of Newtonsoft.Json (12 and 13) and reports the version it runs with. A third
/// is built against a future SDK 2.0.0 (the SDK's sources compiled as version 2), which the host must refuse.
/// </summary>
public sealed class BuiltTestPlugins : IAsyncLifetime
{
    private readonly string _workspace = Directory.CreateTempSubdirectory("psnap-plugins-").FullName;

    public string Json12Folder => Path.Combine(_workspace, "out", "json12");

    public string Json13Folder => Path.Combine(_workspace, "out", "json13");

    public string Sdk2PluginFolder => Path.Combine(_workspace, "out", "sdk2-plugin");

    public string Workspace => _workspace;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(BuildAsync("json12", "12.0.3"), BuildAsync("json13", "13.0.3"), BuildAgainstSdk2Async());
    }

    private async Task BuildAgainstSdk2Async()
    {
        var source = Directory.CreateDirectory(Path.Combine(_workspace, "src", "sdk2")).FullName;
        await File.WriteAllTextAsync(Path.Combine(source, "PluggableSnapshotter.Sdk.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <AssemblyName>PluggableSnapshotter.Sdk</AssemblyName>
                <Version>2.0.0</Version>
              </PropertyGroup>
              <ItemGroup>
                <Compile Include="{Path.Combine(TestSupport.RepositoryPaths.Root, "sdk")}/*.cs" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection.Abstractions" Version="10.0.0" />
                <PackageReference Include="Microsoft.Extensions.Logging.Abstractions" Version="10.0.0" />
                <PackageReference Include="Microsoft.Extensions.Configuration.Abstractions" Version="10.0.0" />
                <PackageReference Include="Microsoft.Extensions.Hosting.Abstractions" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """);
        await RunBuildAsync(source, Path.Combine(_workspace, "out", "sdk2"));
        await BuildAsync("sdk2-plugin", "13.0.3", Path.Combine(_workspace, "out", "sdk2", "PluggableSnapshotter.Sdk.dll"));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_workspace, recursive: true);
        return Task.CompletedTask;
    }

    private async Task BuildAsync(string name, string jsonVersion, string? sdkAssembly = null)
    {
        var source = Directory.CreateDirectory(Path.Combine(_workspace, "src", name)).FullName;
        var sdk = sdkAssembly ?? typeof(PluggableSnapshotter.Sdk.IFileSystem).Assembly.Location;
        await File.WriteAllTextAsync(Path.Combine(source, $"{name}.csproj"), OutOfTreePluginProject.Text($"TestPlugin.{name}", sdk, items: $"""<PackageReference Include="Newtonsoft.Json" Version="{jsonVersion}" />"""));
        await File.WriteAllTextAsync(Path.Combine(source, "Plugin.cs"), """
            using Microsoft.Extensions.DependencyInjection;
            using Newtonsoft.Json;
            using PluggableSnapshotter.Sdk;

            public sealed class Plugin : ISnapshotterPlugin
            {
                public void ConfigureServices(IServiceCollection services, PluginContext context) =>
                    services.AddSingleton<IFileSystem>(new JsonFileSystem(context.Settings["greeting"] ?? "", context.Name));
            }

            // Only the local role's operation: the SDK's default implementations answer the others.
            public sealed class JsonFileSystem(string greeting, string name) : IFileSystem
            {
                public BackendCapabilities Capabilities => BackendCapabilities.Local;
                public async Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
                {
                    var report = new { Json = typeof(JsonConvert).Assembly.GetName().Version!.ToString(), Greeting = greeting, Plugin = name };
                    await File.WriteAllTextAsync(Path.Combine(layer.Mountpoint, "report.json"), JsonConvert.SerializeObject(report), cancellationToken);
                    return MountResult.Mounted;
                }
            }
            """);
        await RunBuildAsync(source, Path.Combine(_workspace, "out", name));
    }

    private static Task RunBuildAsync(string source, string outputFolder) =>
        ProcessRunner.RunCheckedAsync("dotnet", ["build", source, "-c", "Release", "-o", outputFolder, "--nologo", "-v", "quiet"], CancellationToken.None);
}
