using PluggableSnapshotter.Sdk.Testing;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

/// <summary>The SDK's contract tests (sdk-testing) against the estargz backend, loaded as the host loads it.</summary>
public sealed class EstargzContractTests : FileSystemContractTests<EstargzPlugin>
{
    protected override string PluginName => "estargz";
}
