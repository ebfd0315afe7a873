using PluggableSnapshotter.Registry;

namespace PluggableSnapshotter.Soci.Tests.Registry;

/// <summary>Multi-platform images: every platform survives conversion; the selected ones get SOCI indexes.</summary>
public class MultiPlatformTests(LoopbackRegistry registry) : IClassFixture<LoopbackRegistry>
{
    [Fact]
    public async Task Convert_AllPlatforms_EachPlatformGetsIndexWithItsPlatform()
    {
        string source = await PushMultiPlatformAsync("multi/all");
        string target = $"{registry.Host}/multi/converted:all";

        Psoci.Result run = await Psoci.RunAsync("convert", source, target, "--all-platforms", "--min-layer-size", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        IReadOnlyList<Descriptor> manifests = await ManifestsAsync(target);
        Assert.Equal(4, manifests.Count);
        foreach (string platform in new[] { "linux/amd64", "linux/arm64" })
        {
            Descriptor image = Assert.Single(manifests, m => m.ArtifactType is null && m.Platform?.ToString() == platform);
            Descriptor index = Assert.Single(manifests, m => m.ArtifactType == SociMediaTypes.IndexV2 && m.Platform?.ToString() == platform);
            Assert.Equal(image.Digest, index.Annotation(SociAnnotations.ImageManifestDigest));
            Assert.Equal(index.Digest, image.Annotation(SociAnnotations.IndexDigest));
        }
    }

    [Fact]
    public async Task Convert_OnePlatform_OtherPlatformKeptUnchanged()
    {
        string source = await PushMultiPlatformAsync("multi/one");
        IReadOnlyList<Descriptor> before = await ManifestsAsync(source);
        string target = $"{registry.Host}/multi/converted:one";

        Psoci.Result run = await Psoci.RunAsync("convert", source, target, "--platform", "linux/arm64", "--min-layer-size", "0");

        Assert.True(run.ExitCode == 0, run.ToString());
        IReadOnlyList<Descriptor> after = await ManifestsAsync(target);
        Assert.Equal(3, after.Count);
        Assert.Equal(before.Single(m => m.Platform?.Architecture == "amd64").Digest, after[0].Digest);
        Assert.Equal("linux/arm64", Assert.Single(after, m => m.ArtifactType == SociMediaTypes.IndexV2).Platform?.ToString());
        using var client = new RegistryClient();
        (_, byte[] kept) = await client.GetManifestAsync(ImageReference.Parse(target).WithSelector(after[0].Digest), CancellationToken.None);
        Assert.Null(SociIndexDiscovery.IndexDigestFromManifest(kept));
    }

    private async Task<string> PushMultiPlatformAsync(string repository)
    {
        string amd = $"{registry.Host}/{repository}:amd64", arm = $"{registry.Host}/{repository}:arm64";
        registry.Skopeo($"oci:{registry.Layout}:latest", $"docker://{amd}");
        registry.Skopeo($"oci:{registry.Layout}:arm64", $"docker://{arm}");
        using var client = new RegistryClient();
        (Descriptor amdManifest, _) = await client.GetManifestAsync(ImageReference.Parse(amd), CancellationToken.None);
        (Descriptor armManifest, _) = await client.GetManifestAsync(ImageReference.Parse(arm), CancellationToken.None);
        var index = new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests =
            [
                amdManifest with { Platform = new Platform { Os = "linux", Architecture = "amd64" } },
                armManifest with { Platform = new Platform { Os = "linux", Architecture = "arm64" } },
            ],
        };
        string multi = $"{registry.Host}/{repository}:multi";
        await client.PushManifestAsync(ImageReference.Parse(multi), MediaTypes.OciIndex, OciJson.Serialize(index), CancellationToken.None);
        return multi;
    }

    private static async Task<IReadOnlyList<Descriptor>> ManifestsAsync(string reference)
    {
        using var client = new RegistryClient();
        (_, byte[] bytes) = await client.GetManifestAsync(ImageReference.Parse(reference), CancellationToken.None);
        return SociIndexDiscovery.Manifests(bytes);
    }
}
