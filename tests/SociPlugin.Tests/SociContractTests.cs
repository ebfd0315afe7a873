using PluggableSnapshotter.Sdk.Testing;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

/// <summary>The SDK's contract tests (sdk-testing) against the soci backend, loaded as the host loads it.</summary>
public sealed class SociContractTests : FileSystemContractTests<SociPlugin>
{
    protected override string PluginName => "soci";
}
