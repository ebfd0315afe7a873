using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Tree;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class LowerDirectoryAttributesTests
{
    [Fact]
    public async Task Apply_ImplicitDirectory_TakesNearestLowerDirectorysAttributes()
    {
        var (lowerZtoc, _) = await new LayerTarBuilder().Directory("data/", (UnixFileMode)0x1E8, uid: 1000, gid: 1000).BuildZtocAsync(); // 0750
        var (upperZtoc, _) = await new LayerTarBuilder().File("data/added", "x").BuildZtocAsync();
        var lower = ZtocLayerEntries.BuildTree(lowerZtoc, userXattr: false);
        var upper = ZtocLayerEntries.BuildTree(upperZtoc, userXattr: false);

        upper = LowerDirectoryAttributes.Resolve(upper, [lower]);

        var data = upper.Children!["data"];
        Assert.Equal((0x1E8u, 1000u, 1000u), (data.Permissions, data.Uid, data.Gid));
    }

    [Fact]
    public async Task Apply_ListedDirectory_KeepsItsOwnAttributes()
    {
        var (lowerZtoc, _) = await new LayerTarBuilder().Directory("data/", (UnixFileMode)0x1E8, uid: 1000).BuildZtocAsync();
        var (upperZtoc, _) = await new LayerTarBuilder().Directory("data/", (UnixFileMode)0x1C0, uid: 7).File("data/f", "x").BuildZtocAsync();
        var lower = ZtocLayerEntries.BuildTree(lowerZtoc, userXattr: false);
        var upper = ZtocLayerEntries.BuildTree(upperZtoc, userXattr: false);

        upper = LowerDirectoryAttributes.Resolve(upper, [lower]);

        Assert.Equal((0x1C0u, 7u), (upper.Children!["data"].Permissions, upper.Children["data"].Uid));
    }

    [Fact]
    public async Task Apply_NoLowerHasTheDirectory_KeepsRootOwned0755()
    {
        var (upperZtoc, _) = await new LayerTarBuilder().File("new/f", "x").BuildZtocAsync();
        var (lowerZtoc, _) = await new LayerTarBuilder().File("other", "x").BuildZtocAsync();
        var upper = ZtocLayerEntries.BuildTree(upperZtoc, userXattr: false);

        upper = LowerDirectoryAttributes.Resolve(upper, [ZtocLayerEntries.BuildTree(lowerZtoc, userXattr: false)]);

        Assert.Equal((0x1EDu, 0u), (upper.Children!["new"].Permissions, upper.Children["new"].Uid));
    }
}
