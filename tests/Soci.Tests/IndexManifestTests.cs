using System.Text;
using System.Text.Json.Nodes;

namespace PluggableSnapshotter.Soci.Tests;

/// <summary>Index manifests v1/v2, the SOCI-enabled image index, layer selection and discovery helpers.</summary>
public class IndexManifestTests
{
    private static readonly Descriptor Layer = new()
    {
        MediaType = "application/vnd.oci.image.layer.v1.tar+gzip",
        Digest = "sha256:" + new string('a', 64),
        Size = 20 << 20,
    };

    private static readonly SociIndexLayer Indexed = new(Layer, "sha256:" + new string('b', 64), 1234, 65536, DisableXattrs: true);

    [Fact]
    public void ToJson_V2Index_HasSociConfigLayersAndNoSubject()
    {
        byte[] json = SociIndexManifest.Create(SociIndexVersion.V2, [Indexed], "tool", null).ToJson();

        JsonNode root = JsonNode.Parse(json)!;
        Assert.Equal(2, root["schemaVersion"]!.GetValue<int>());
        Assert.Equal(MediaTypes.OciManifest, root["mediaType"]!.GetValue<string>());
        Assert.Equal(SociMediaTypes.IndexV2, root["config"]!["mediaType"]!.GetValue<string>());
        Assert.Equal(SociMediaTypes.EmptyJsonDigest, root["config"]!["digest"]!.GetValue<string>());
        Assert.Equal(2, root["config"]!["size"]!.GetValue<long>());
        Assert.Null(root["subject"]);
        Assert.Equal("tool", root["annotations"]![SociAnnotations.BuildToolIdentifier]!.GetValue<string>());
        JsonNode ztoc = root["layers"]![0]!;
        Assert.Equal("application/octet-stream", ztoc["mediaType"]!.GetValue<string>());
        Assert.Equal(Layer.Digest, ztoc["annotations"]![SociAnnotations.ImageLayerDigest]!.GetValue<string>());
        Assert.Equal(Layer.MediaType, ztoc["annotations"]![SociAnnotations.ImageLayerMediaType]!.GetValue<string>());
        Assert.Equal("65536", ztoc["annotations"]![SociAnnotations.SpanSize]!.GetValue<string>());
        Assert.Equal("true", ztoc["annotations"]![SociAnnotations.DisableXattrs]!.GetValue<string>());
    }

    [Fact]
    public void Parse_V1Index_RoundTripsSubjectAndFindsZtocByLayer()
    {
        var subject = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = "sha256:" + new string('c', 64), Size = 99 };
        byte[] json = SociIndexManifest.Create(SociIndexVersion.V1, [Indexed], "tool", subject).ToJson();

        SociIndexManifest index = SociIndexManifest.Parse(json);

        Assert.Equal(SociIndexVersion.V1, index.Version);
        Assert.Equal(subject, index.Subject);
        Assert.Equal(Indexed.ZtocDigest, index.ZtocFor(Layer.Digest)?.Digest);
        Assert.Null(index.ZtocFor("sha256:" + new string('d', 64)));
    }

    [Fact]
    public void Parse_OtherConfigMediaType_UnknownIndexVersion()
    {
        byte[] json = Encoding.UTF8.GetBytes("""{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:00","size":2},"layers":[]}""");

        var e = Assert.Throws<InvalidDataException>(() => SociIndexManifest.Parse(json));
        Assert.Contains("unknown index version", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Plan_MixedLayers_SkipsSmallAndZstdLayers()
    {
        Descriptor small = Layer with { Digest = "sha256:" + new string('1', 64), Size = 100 };
        Descriptor zstd = Layer with { Digest = "sha256:" + new string('2', 64), MediaType = "application/vnd.oci.image.layer.v1.tar+zstd" };
        Descriptor tar = Layer with { Digest = "sha256:" + new string('3', 64), MediaType = "application/vnd.oci.image.layer.v1.tar" };

        IReadOnlyList<LayerPlan> plan = SociLayerPlanner.Plan([small, Layer, zstd, tar], SociLayerPlanner.DefaultMinLayerSize);

        Assert.Equal([false, true, false, true], plan.Select(p => p.GetsZtoc));
        Assert.Contains("zstd", plan[2].SkipReason, StringComparison.Ordinal);
        Assert.Contains("min layer size", plan[0].SkipReason, StringComparison.Ordinal);
    }

    [Fact]
    public void AnnotateManifest_DockerManifest_BecomesOciWithIndexDigest()
    {
        byte[] manifest = Encoding.UTF8.GetBytes("""
            {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
             "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:01","size":1},
             "layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"sha256:02","size":3}]}
            """);
        var original = new Descriptor { MediaType = MediaTypes.DockerManifest, Digest = "sha256:09", Size = manifest.Length,
            Platform = Platform.Parse("linux/amd64") };

        (byte[] rewritten, Descriptor descriptor) = SociEnabledImage.AnnotateManifest(manifest, original, "sha256:ff");

        JsonNode root = JsonNode.Parse(rewritten)!;
        Assert.Equal("sha256:ff", SociIndexDiscovery.IndexDigestFromManifest(rewritten));
        Assert.Equal(MediaTypes.OciManifest, root["mediaType"]!.GetValue<string>());
        Assert.Equal("application/vnd.oci.image.layer.v1.tar+gzip", root["layers"]![0]!["mediaType"]!.GetValue<string>());
        Assert.Equal(ZtocSerializer.Digest(rewritten), descriptor.Digest);
        Assert.Equal("sha256:ff", descriptor.Annotation(SociAnnotations.IndexDigest));
        Assert.Equal("linux/amd64", descriptor.Platform?.ToString());
    }

    [Fact]
    public void BuildImageIndex_MultiPlatform_KeepsEveryPlatformAndAddsIndexDescriptor()
    {
        byte[] original = Encoding.UTF8.GetBytes("""
            {"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a1","size":10,"platform":{"architecture":"amd64","os":"linux"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:a2","size":11,"platform":{"architecture":"arm64","os":"linux","variant":"v8"}},
             {"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"application/vnd.amazon.soci.index.v2+json","digest":"sha256:old","size":5,"platform":{"architecture":"amd64","os":"linux"}}]}
            """);
        var rewritten = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = "sha256:b1", Size = 12,
            Platform = Platform.Parse("linux/amd64") };
        Descriptor sociIndex = SociEnabledImage.IndexDescriptor("sha256:c1", 13, "sha256:b1", rewritten.Platform);

        byte[] index = SociEnabledImage.BuildImageIndex(original, [new ConvertedManifest("sha256:a1", rewritten, sociIndex)]);

        IReadOnlyList<Descriptor> manifests = SociIndexDiscovery.Manifests(index);
        Assert.Equal(["sha256:b1", "sha256:a2", "sha256:c1"], manifests.Select(m => m.Digest));
        Descriptor added = Assert.Single(SociIndexDiscovery.V2Indexes(manifests));
        Assert.Equal("linux/amd64", added.Platform?.ToString());
        Assert.Equal("sha256:b1", added.Annotation(SociAnnotations.ImageManifestDigest));
        Assert.Equal("linux/arm64/v8", manifests[1].Platform?.ToString());
    }

    [Fact]
    public void BuildImageIndex_SingleManifestSource_ListsManifestThenIndex()
    {
        var rewritten = new Descriptor { MediaType = MediaTypes.OciManifest, Digest = "sha256:b1", Size = 12 };
        Descriptor sociIndex = SociEnabledImage.IndexDescriptor("sha256:c1", 13, "sha256:b1", null);

        byte[] index = SociEnabledImage.BuildImageIndex(null, [new ConvertedManifest("sha256:a1", rewritten, sociIndex)]);

        Assert.Equal(MediaTypes.OciIndex, JsonNode.Parse(index)!["mediaType"]!.GetValue<string>());
        Assert.Equal(["sha256:b1", "sha256:c1"], SociIndexDiscovery.Manifests(index).Select(m => m.Digest));
    }

    [Fact]
    public void FallbackTag_ManifestDigest_ReplacesColonWithDash()
    {
        Assert.Equal("sha256-" + new string('e', 64), SociIndexDiscovery.FallbackTag("sha256:" + new string('e', 64)));
    }

    [Fact]
    public void FirstV1Index_MixedReferrers_PicksFirstV1()
    {
        Descriptor Referrer(string digest, string? type) => new() { MediaType = MediaTypes.OciManifest, Digest = digest, Size = 1, ArtifactType = type };

        Descriptor? chosen = SociIndexDiscovery.FirstV1Index(
            [Referrer("sha256:1", "application/spdx+json"), Referrer("sha256:2", SociMediaTypes.IndexV1), Referrer("sha256:3", SociMediaTypes.IndexV1)]);

        Assert.Equal("sha256:2", chosen?.Digest);
    }

    [Theory]
    [InlineData("special-layer.span-64k.ztoc", false)]
    [InlineData("busybox-layer.span-64k.ztoc", true)]
    public void CanDisableXattrs_Vector_FollowsXattrsAndOpaqueDirs(string ztocName, bool expected)
    {
        Ztoc ztoc = ZtocSerializer.Deserialize(File.ReadAllBytes(Vectors.PathOf(ztocName)));

        Assert.Equal(expected, SociIndexLayer.CanDisableXattrs(ztoc));
    }
}
