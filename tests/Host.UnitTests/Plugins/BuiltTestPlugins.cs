using System.Diagnostics;

namespace PluggableSnapshotter.Host.UnitTests.Plugins;

/// <summary>
/// Two backend plugins written and built by the test, outside the solution, against the SDK assembly only, as a third
/// party would: each uses its own version of Newtonsoft.Json (12 and 13) and reports the version it runs with.
/// </summary>
public sealed class BuiltTestPlugins : IAsyncLifetime
{
    private readonly string _workspace = Directory.CreateTempSubdirectory("psnap-plugins-").FullName;

    public string Json12Folder => Path.Combine(_workspace, "out", "json12");

    public string Json13Folder => Path.Combine(_workspace, "out", "json13");

    public string Workspace => _workspace;

    public async Task InitializeAsync()
    {
        await Task.WhenAll(BuildAsync("json12", "12.0.3"), BuildAsync("json13", "13.0.3"));
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_workspace, recursive: true);
        return Task.CompletedTask;
    }

    private async Task BuildAsync(string name, string jsonVersion)
    {
        var source = Directory.CreateDirectory(Path.Combine(_workspace, "src", name)).FullName;
        var sdk = typeof(PluggableSnapshotter.Sdk.IFileSystem).Assembly.Location;
        await File.WriteAllTextAsync(Path.Combine(source, $"{name}.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <EnableDynamicLoading>true</EnableDynamicLoading>
                <AssemblyName>TestPlugin.{name}</AssemblyName>
              </PropertyGroup>
              <ItemGroup>
                <Reference Include="PluggableSnapshotter.Sdk" HintPath="{sdk}" Private="false" />
                <PackageReference Include="Microsoft.Extensions.DependencyInjection.Abstractions" Version="10.0.0" ExcludeAssets="runtime" />
                <PackageReference Include="Microsoft.Extensions.Configuration.Abstractions" Version="10.0.0" ExcludeAssets="runtime" />
                <PackageReference Include="Newtonsoft.Json" Version="{jsonVersion}" />
              </ItemGroup>
            </Project>
            """);
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
        var start = new ProcessStartInfo("dotnet", ["build", source, "-c", "Release", "-o", Path.Combine(_workspace, "out", name), "--nologo", "-v", "quiet"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var build = Process.Start(start)!;
        var output = build.StandardOutput.ReadToEndAsync();
        var errors = build.StandardError.ReadToEndAsync();
        await build.WaitForExitAsync();
        if (build.ExitCode != 0)
        {
            throw new InvalidOperationException($"building test plugin {name} failed:\n{await output}\n{await errors}");
        }
    }
}
