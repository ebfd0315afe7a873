using PluggableSnapshotter.TestSupport.Plugins;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests.EndToEnd;

/// <summary>
/// A lazy backend plugin written and built by the test against the SDK assembly only (as a third party would) that answers
/// every lazy mount with NoIndex and records the layers it was asked for in <c>asked</c> under its state directory:
/// it stands in for the SOCI backend in a chain that falls back to parallel pull.
/// </summary>
public static class NoIndexLazyPlugin
{
    public const string AssemblyName = "TestPlugin.NoIndexLazy";

    /// <summary>Builds the plugin into <paramref name="workspace"/>/out and returns that folder.</summary>
    public static async Task<string> BuildAsync(string workspace, CancellationToken cancellationToken)
    {
        var source = Directory.CreateDirectory(Path.Combine(workspace, "src")).FullName;
        var output = Path.Combine(workspace, "out");
        var sdk = typeof(PluggableSnapshotter.Sdk.IFileSystem).Assembly.Location;
        await File.WriteAllTextAsync(Path.Combine(source, "NoIndexLazy.csproj"), OutOfTreePluginProject.Text(AssemblyName, sdk), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(source, "Plugin.cs"), """
            using Microsoft.Extensions.DependencyInjection;
            using PluggableSnapshotter.Sdk;

            public sealed class Plugin : ISnapshotterPlugin
            {
                public void ConfigureServices(IServiceCollection services, PluginContext context) =>
                    services.AddSingleton<IFileSystem>(new NoIndexFileSystem(Path.Combine(context.StateDirectory, "asked")));
            }

            public sealed class NoIndexFileSystem(string asked) : IFileSystem
            {
                private static readonly SemaphoreSlim Gate = new(1, 1);
                public BackendCapabilities Capabilities => BackendCapabilities.Lazy;
                public async Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken)
                {
                    await Gate.WaitAsync(cancellationToken);
                    try { await File.AppendAllTextAsync(asked, layer.LayerDigest + "\n", cancellationToken); }
                    finally { Gate.Release(); }
                    return MountResult.NoIndex("test plugin: no image has an index");
                }
                public Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken) => Task.FromException(new InvalidOperationException("mounts nothing"));
                public Task UnmountAsync(string mountpoint, CancellationToken cancellationToken) => Task.CompletedTask;
                public Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) => Task.FromException<MountResult>(new InvalidOperationException("the local role is not provided"));
                public Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) => Task.FromException<MountResult>(new InvalidOperationException("the parallel role is not provided"));
                public Task<string> IdMapMountAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) => Task.FromException<string>(new InvalidOperationException("mounts nothing"));
                public Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken) => Task.FromException<string>(new InvalidOperationException("the local role is not provided"));
                public Task CleanImageAsync(string imageDigest, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """, cancellationToken);
        await ProcessRunner.RunCheckedAsync("dotnet", ["build", source, "-c", "Release", "-o", output, "--nologo", "-v", "quiet"], cancellationToken);
        return output;
    }
}
