using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Images;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Rootfs;

namespace PluggableSnapshotter.Host.Tests.Fixtures;

/// <summary>The offline image builder and the registry fixture, checked with umoci and HTTP.</summary>
public sealed class TestImageBuilderTests
{
    [RootOnlyFact]
    public async Task BuildAsync_LayeredImage_UmociUnpackAppliesWhiteoutsOpaqueDirsAndSpecialFiles()
    {
        var ct = TestContext.Token;
        await using var dir = await TmpfsDirectory.CreateAsync("imagebuilder", ct);
        var image = await TestImages.Layered(dir.Combine("build")).BuildAsync("test", ct);

        var rootfs = await image.UnpackAsync(dir.Combine("bundle"), ct);
        var byPath = RootfsListing.Capture(rootfs).ToDictionary(e => e.Path);

        Assert.DoesNotContain("/data/to-delete", byPath.Keys);
        Assert.DoesNotContain("/data/dir-to-delete", byPath.Keys);
        Assert.DoesNotContain("/data/opaque/hidden", byPath.Keys);
        Assert.Contains("/data/opaque/visible", byPath.Keys);
        Assert.Equal("0700", byPath["/data/remodeled"].Mode);
        Assert.Equal(1, byPath["/data/remodeled"].Uid);
        Assert.Equal(2, byPath["/data/hardlink"].LinkCount);
        Assert.Equal("char", byPath["/data/null"].Type);
        Assert.Equal("1:3", byPath["/data/null"].Device);
        Assert.Equal("7:200", byPath["/data/block"].Device);
        Assert.Equal("fifo", byPath["/data/fifo"].Type);
        Assert.Equal("4755", byPath["/data/setuid"].Mode);
        Assert.Equal("1777", byPath["/data/sticky"].Mode);
        Assert.Contains("user.pluggable.test=", byPath["/data/with-xattr"].Xattrs, StringComparison.Ordinal);
        Assert.Equal("busybox", byPath["/bin/sh"].LinkTarget);
    }

    [RootOnlyFact]
    public async Task PushAsync_LocalRegistry_ManifestIsServed()
    {
        var ct = TestContext.Token;
        await using var dir = await TmpfsDirectory.CreateAsync("push", ct);
        await using var registry = await RegistryFixture.StartAsync(ct, dir.Path);
        var image = await TestImages.Busybox(dir.Combine("build"), "pushed\n").BuildAsync("v1", ct);

        await image.PushAsync(registry.Reference("library/busybox", "v1"), ct);

        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"http://{registry.Host}/v2/library/busybox/manifests/v1"));
        request.Headers.Accept.ParseAdd("application/vnd.oci.image.manifest.v1+json");
        using var response = await http.SendAsync(request, ct);
        Assert.True(response.IsSuccessStatusCode, $"GET manifest: {response.StatusCode}\n{registry.Log}");
        var manifest = await response.Content.ReadAsStringAsync(ct);
        Assert.Contains("\"layers\"", manifest, StringComparison.Ordinal);
    }
}
