using PluggableSnapshotter.Host.Overlay;

namespace PluggableSnapshotter.Host.IntegrationTests.Overlay;

public class SnapshotKeysTests
{
    [Theory]
    [InlineData("default/12/extract-1234 sha256:abc", "default")]
    [InlineData("k8s.io/7/sha256:abc", "k8s.io")]
    [InlineData("sha256:abc", null)]
    [InlineData("default/x/sha256:abc", null)]
    [InlineData("default//abc", null)]
    [InlineData("default/12/", null)]
    [InlineData("/12/abc", null)]
    public void NamespaceOf_ContainerdKey_ReturnsNamespace(string key, string? expected)
    {
        Assert.Equal(expected, SnapshotKeys.NamespaceOf(key));
    }
}
