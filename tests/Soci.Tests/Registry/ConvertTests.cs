using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>psoci against a real docker-registry on loopback: convert (v2), create + push (v1), errors.</summary>
public class ConvertTests(LoopbackRegistry registry) : IClassFixture<LoopbackRegistry>
{
    private const string SmallSpan = "65536";

    [Fact]
    public async Task Convert_BusyboxImage_IndexFoundFromManifestAnnotation()
    {
        string target = $"{registry.Host}/converted/busybox:soci";

        Psoci.Result run = await Psoci.RunAsync("convert", registry.Image, target, "--span-size", SmallSpan, "--min-layer-size", "2000000");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("skipped", run.Stderr, StringComparison.Ordinal);
        using var client = new RegistryClient();
        ResolvedImage image = await client.ResolveAsync(ImageReference.Parse(target), Platform.Current, CancellationToken.None);
        Assert.NotNull(image.Index);
        string indexDigest = Assert.IsType<string>(SociIndexDiscovery.IndexDigestFromManifest(image.ManifestBytes.Span));
        (_, byte[] indexBytes) = await client.GetManifestAsync(image.Reference.WithSelector(indexDigest), CancellationToken.None);
        SociIndexManifest index = SociIndexManifest.Parse(indexBytes);
        Assert.Equal(SociIndexVersion.V2, index.Version);
        Assert.Null(index.ZtocFor(image.Manifest.Layers[0].Digest));
        Descriptor ztocDescriptor = Assert.IsType<Descriptor>(index.ZtocFor(image.Manifest.Layers[1].Digest));
        Assert.Equal(SociMediaTypes.IndexV2, Assert.Single(await ManifestsOf(client, target), m => m.ArtifactType is not null).ArtifactType);

        byte[] ztocBytes = await client.GetBlobAsync(image.Reference, new Descriptor { MediaType = ztocDescriptor.MediaType, Digest = ztocDescriptor.Digest, Size = ztocDescriptor.Size }, 1 << 24, CancellationToken.None);
        Ztoc ztoc = ZtocSerializer.Deserialize(ztocBytes);
        OciDigest layer = image.Manifest.Layers[1].ParsedDigest;
        var reader = new ZtocSpanReader(ztoc, async (offset, length, ct) =>
            await client.GetBlobRangeAsync(image.Reference, layer, new ByteRange(offset, length), ct));
        FileMetadata random = Assert.Single(ztoc.Files, f => f.Name.EndsWith("data/random.bin", StringComparison.Ordinal));
        byte[] expected = File.ReadAllBytes(Path.Combine(registry.Root, "image", "two", "data", "random.bin"));
        Assert.Equal(expected, await reader.ReadFileAsync(random, CancellationToken.None));
    }

    [Fact]
    public async Task ZtocGetFile_ConvertedImage_PrintsFileFromRangeReads()
    {
        string target = $"{registry.Host}/test/busybox:getfile";
        Assert.Equal(0, (await Psoci.RunAsync("convert", registry.Image, target, "--min-layer-size", "0", "--span-size", SmallSpan)).ExitCode);
        Psoci.Result list = await Psoci.RunAsync("ztoc", "list", target);
        string ztoc = list.Stdout.Split('\n').Skip(1).First(l => l.Length > 0).Split('\t')[0];
        string output = Path.Combine(registry.Root, "busybox.out");

        Psoci.Result get = await Psoci.RunAsync("ztoc", "get-file", target, ztoc, "bin/busybox", "--output", output);

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(await File.ReadAllBytesAsync("/usr/bin/busybox"), await File.ReadAllBytesAsync(output));
    }

    [Fact]
    public async Task CreatePush_V1Index_FoundThroughFallbackTag()
    {
        string store = Path.Combine(registry.Root, "store-" + Guid.NewGuid().ToString("N"));
        string image = $"{registry.Host}/v1/busybox:latest";
        registry.Skopeo($"oci:{registry.Layout}:latest", $"docker://{image}");

        Psoci.Result create = await Psoci.RunAsync("create", image, "--min-layer-size", "0", "--store", store);
        Psoci.Result push = await Psoci.RunAsync("push", image, "--store", store);
        Psoci.Result list = await Psoci.RunAsync("index", "list", image);

        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.True(push.ExitCode == 0, push.ToString());
        Assert.Contains("fallback tag sha256-", push.Stdout, StringComparison.Ordinal);
        string indexDigest = create.Stdout.Split('\t')[0];
        Assert.Contains($"{indexDigest}\tv1", list.Stdout, StringComparison.Ordinal);
        using var client = new RegistryClient();
        ResolvedImage resolved = await client.ResolveAsync(ImageReference.Parse(image), Platform.Current, CancellationToken.None);
        ImageIndex referrers = await client.GetReferrersAsync(resolved.Reference, resolved.ManifestDescriptor.ParsedDigest, SociMediaTypes.IndexV1, CancellationToken.None);
        Assert.Equal(indexDigest, Assert.Single(referrers.Manifests).Digest);
        (_, byte[] bytes) = await client.GetManifestAsync(resolved.Reference.WithSelector(indexDigest), CancellationToken.None);
        Assert.Equal(resolved.ManifestDescriptor.Digest, SociIndexManifest.Parse(bytes).Subject?.Digest);
    }

    [Fact]
    public async Task Convert_UntaggedDestination_ClearError()
    {
        Psoci.Result run = await Psoci.RunAsync("convert", registry.Image, $"{registry.Host}/test/untagged");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("needs a tag", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_UnknownImage_ClearError()
    {
        Psoci.Result run = await Psoci.RunAsync("convert", $"{registry.Host}/test/nothing:here", $"{registry.Host}/test/nothing:soci");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not found", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_DefaultMinLayerSize_NoLayerQualifiesError()
    {
        Psoci.Result run = await Psoci.RunAsync("convert", registry.Image, $"{registry.Host}/test/busybox:toosmall");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("no layer", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("--min-layer-size", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_ZstdLayers_SkippedWithMessage()
    {
        Psoci.Result run = await Psoci.RunAsync("convert", registry.ZstdImage, $"{registry.Host}/test/zstd:soci", "--min-layer-size", "0");

        Assert.Equal(1, run.ExitCode);
        Assert.True(run.Stderr.Contains("zstd layers get no zTOC", StringComparison.Ordinal), run.ToString());
    }

    private static async Task<IReadOnlyList<Descriptor>> ManifestsOf(RegistryClient client, string reference)
    {
        (_, byte[] bytes) = await client.GetManifestAsync(ImageReference.Parse(reference), CancellationToken.None);
        return OciJson.Parse<ImageIndex>(bytes, reference).Manifests;
    }
}
