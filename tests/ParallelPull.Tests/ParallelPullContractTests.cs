using PluggableSnapshotter.Sdk.Testing;

namespace PluggableSnapshotter.Plugins.ParallelPull.Tests;

/// <summary>The SDK's contract tests (sdk-testing) against the parallel-pull backend, loaded as the host loads it.</summary>
public sealed class ParallelPullContractTests : FileSystemContractTests<ParallelPullPlugin>
{
    protected override string PluginName => "parallel-pull";
}
