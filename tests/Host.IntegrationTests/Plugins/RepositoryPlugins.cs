using System.Reflection;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>The repository's own plugins as built beside these tests (the project builds them; see the csproj).</summary>
public static class RepositoryPlugins
{
    private static readonly string Output = typeof(RepositoryPlugins).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "PluginOutput").Value!;

    /// <summary>The folder of plugin <paramref name="name"/> (<c>soci</c>, <c>parallel-pull</c>, <c>local</c>).</summary>
    public static string Folder(string name) => Path.Combine(RepositoryPaths.Root, "plugins", name, Output);
}
