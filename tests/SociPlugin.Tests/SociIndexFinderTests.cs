using PluggableSnapshotter.Plugins.Soci.Discovery;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Soci;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

public sealed class SociIndexFinderTests
{
    private static readonly Platform Here = Platform.Current;

    [Fact]
    public void SelectPlatformManifest_SociIndexListedFirst_PicksTheImageManifest()
    {
        var index = new ImageIndex
        {
            Manifests =
            [
                Manifest("sha256:" + new string('1', 64), Here) with
                {
                    ArtifactType = SociMediaTypes.IndexV2,
                    Annotations = new Dictionary<string, string> { [SociAnnotations.ImageManifestDigest] = "sha256:" + new string('2', 64) },
                },
                Manifest("sha256:" + new string('2', 64), Here),
            ],
        };

        Assert.Equal("sha256:" + new string('2', 64), SociIndexFinder.SelectPlatformManifest(index)?.Digest);
    }

    [Fact]
    public void SelectPlatformManifest_OtherPlatformOnly_ReturnsNull()
    {
        var other = new Platform { Os = "linux", Architecture = Here.Architecture == "s390x" ? "ppc64le" : "s390x" };

        Assert.Null(SociIndexFinder.SelectPlatformManifest(new ImageIndex { Manifests = [Manifest("sha256:" + new string('3', 64), other)] }));
    }

    private static Descriptor Manifest(string digest, Platform platform) =>
        new() { MediaType = MediaTypes.OciManifest, Digest = digest, Size = 100, Platform = platform };
}
