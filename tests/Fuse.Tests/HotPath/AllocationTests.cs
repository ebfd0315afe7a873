using PluggableSnapshotter.Fuse.Tests.Support;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Fuse.Tests.HotPath;

/// <summary>The /dev/fuse request loop allocates nothing per GETATTR or READ, with process-wide or stable node ids (root only).</summary>
[Collection(KernelCacheCollection.Name)]
public sealed class AllocationTests
{
    private static readonly FuseMountOptions DeviceTransport = new() { Transport = FuseTransport.Device };

    [RootOnlyFact]
    public Task Getattr_ThousandsOfStats_AllocateNothingPerRequest() => AllocationScenarios.GetattrAllocatesNothingAsync(DeviceTransport);

    [RootOnlyTheory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Read_ManyDirectReads_AllocateNothingPerRequest(bool copying) => AllocationScenarios.ReadAllocatesNothingAsync(DeviceTransport, copying);

    [RootOnlyFact]
    public async Task Getattr_KeptMountWithStableNodeIds_AllocateNothingPerRequest()
    {
        await using KeeperHarness keeper = await KeeperHarness.StartAsync();
        await AllocationScenarios.GetattrAllocatesNothingAsync(DeviceTransport with { Keeper = keeper.Keeper });
    }

    [RootOnlyFact]
    public async Task Read_KeptMountWithStableNodeIds_AllocateNothingPerRequest()
    {
        await using KeeperHarness keeper = await KeeperHarness.StartAsync();
        await AllocationScenarios.ReadAllocatesNothingAsync(DeviceTransport with { Keeper = keeper.Keeper }, copying: false);
    }
}
