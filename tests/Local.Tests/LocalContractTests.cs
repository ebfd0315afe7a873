using PluggableSnapshotter.Sdk.Testing;

namespace PluggableSnapshotter.Plugins.Local.Tests;

/// <summary>The SDK's contract tests (sdk-testing) against the local backend, loaded as the host loads it.</summary>
public sealed class LocalContractTests : FileSystemContractTests<LocalPlugin>
{
    protected override string PluginName => "local";
}
