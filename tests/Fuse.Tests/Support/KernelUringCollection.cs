namespace PluggableSnapshotter.Fuse.Tests.Support;

/// <summary>
/// Tests that switch the kernel's fuse.enable_uring parameter run alone, so one test switching it off for a moment
/// cannot surprise another that needs it on.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class KernelUringCollection : ICollectionFixture<KernelUringSwitch>
{
    public const string Name = "KernelUring";
}
