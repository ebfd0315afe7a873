using System.Text;
using PluggableSnapshotter.Registry.Tests.Support;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Registry.Tests;

/// <summary>The client against a real docker-registry on loopback without authentication.</summary>
public sealed class AnonymousRegistryTests : IAsyncLifetime
{
    private RegistryFixture _server = null!;
    private readonly RegistryClient _client = new();

    public async Task InitializeAsync() => _server = await RegistryFixture.StartAsync(CancellationToken.None);

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    private ImageReference Ref(string repositoryAndTag) => ImageReference.Parse($"{_server.Host}/{repositoryAndTag}");

    [Fact]
    public async Task ResolveAsync_Tag_ReturnsManifestPinnedToItsDigest()
    {
        var (manifest, layer) = await TestImages.PushAsync(_client, Ref("app:v1"), TestImages.RandomBytes(1000, 1));
        var resolved = await _client.ResolveAsync(Ref("app:v1"), null, CancellationToken.None);
        Assert.Equal(manifest.Digest, resolved.ManifestDescriptor.Digest);
        Assert.Equal(manifest.Digest, resolved.Reference.Digest.ToString());
        Assert.Equal(layer.Digest, Assert.Single(resolved.Manifest.Layers).Digest);
        Assert.Equal(manifest.Digest, OciDigest.Compute(resolved.ManifestBytes.Span).ToString());
    }

    [Fact]
    public async Task ResolveAsync_Index_SelectsRequestedPlatform()
    {
        var (amd64, _) = await TestImages.PushAsync(_client, Ref("multi:amd64"), TestImages.RandomBytes(100, 2));
        var (arm64, _) = await TestImages.PushAsync(_client, Ref("multi:arm64"), TestImages.RandomBytes(100, 3), "arm64");
        var index = OciJson.Serialize(new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests =
            [
                amd64 with { Platform = new Platform { Os = "linux", Architecture = "amd64" } },
                arm64 with { Platform = new Platform { Os = "linux", Architecture = "arm64", Variant = "v8" } },
            ],
        });
        var indexDescriptor = await _client.PushManifestAsync(Ref("multi:latest"), MediaTypes.OciIndex, index, CancellationToken.None);

        var resolved = await _client.ResolveAsync(Ref("multi:latest"), new Platform { Os = "linux", Architecture = "arm64" }, CancellationToken.None);

        Assert.Equal(arm64.Digest, resolved.ManifestDescriptor.Digest);
        Assert.Equal(indexDescriptor.Digest, resolved.Index?.Digest);
    }

    [Fact]
    public async Task ResolveAsync_NoMatchingPlatform_ThrowsRegistryException()
    {
        var (amd64, _) = await TestImages.PushAsync(_client, Ref("single:amd64"), TestImages.RandomBytes(100, 4));
        var index = OciJson.Serialize(new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = [amd64 with { Platform = new Platform { Os = "linux", Architecture = "amd64" } }],
        });
        await _client.PushManifestAsync(Ref("single:latest"), MediaTypes.OciIndex, index, CancellationToken.None);
        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            _client.ResolveAsync(Ref("single:latest"), new Platform { Os = "linux", Architecture = "s390x" }, CancellationToken.None));
        Assert.Contains("s390x", error.Message);
    }

    [Fact]
    public async Task GetManifestAsync_MissingTag_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RegistryException>(() => _client.GetManifestAsync(Ref("nothing:here"), CancellationToken.None));
        Assert.True(error.IsNotFound);
    }

    [Fact]
    public async Task OpenBlobAsync_ChunkedUpload_StreamsVerifiedBytes()
    {
        using var small = new RegistryClient(new RegistryClientOptions { UploadChunkSize = 64 * 1024 });
        var content = TestImages.RandomBytes(300_000, 5);
        var descriptor = await small.PushBlobAsync(Ref("blobs:x"), content, MediaTypes.OciLayerGzip, CancellationToken.None);

        await using var stream = await _client.OpenBlobAsync(Ref("blobs:x"), descriptor, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task OpenBlobAsync_StoredBytesDoNotMatchDigest_ThrowsInvalidDataNamingDigest()
    {
        var content = TestImages.RandomBytes(200_000, 6);
        var descriptor = await _client.PushBlobAsync(Ref("tampered:x"), content, MediaTypes.OciLayerGzip, CancellationToken.None);
        var tampered = (byte[])content.Clone();
        tampered[150_000] ^= 0xFF;
        await File.WriteAllBytesAsync(_server.BlobDataPath(descriptor.Digest), tampered);

        await using var stream = await _client.OpenBlobAsync(Ref("tampered:x"), descriptor, CancellationToken.None);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => stream.CopyToAsync(Stream.Null));
        Assert.Contains(descriptor.Digest, error.Message);
        await Assert.ThrowsAsync<InvalidDataException>(() => _client.GetBlobAsync(Ref("tampered:x"), descriptor, 1 << 20, CancellationToken.None));
    }

    [Fact]
    public async Task GetBlobAsync_DescriptorWithoutSizeAndBlobOverTheLimit_ThrowsInvalidDataBeforeReading()
    {
        // A size-less descriptor (a stored copy's digest alone) takes the registry's length: the bound still holds.
        var content = TestImages.RandomBytes(300_000, 7);
        var descriptor = await _client.PushBlobAsync(Ref("sizeless:x"), content, MediaTypes.OciLayerGzip, CancellationToken.None);
        var sizeless = descriptor with { Size = -1 };

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => _client.GetBlobAsync(Ref("sizeless:x"), sizeless, 100_000, CancellationToken.None));

        Assert.Contains("300000 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(content, await _client.GetBlobAsync(Ref("sizeless:x"), sizeless, 1 << 20, CancellationToken.None));
    }

    [Fact]
    public async Task OpenBlobAsync_ConnectionCutMidBlob_ResumesWithRangeAndVerifies()
    {
        using var proxy = new CuttingProxy(_server.Port);
        var content = TestImages.RandomBytes(2_000_000, 7);
        var descriptor = await _client.PushBlobAsync(Ref("cut:x"), content, MediaTypes.OciLayerGzip, CancellationToken.None);
        var throughProxy = ImageReference.Parse($"{proxy.Host}/cut:x");

        proxy.CutOnceAfter(500_000);
        await using var stream = await _client.OpenBlobAsync(throughProxy, descriptor, CancellationToken.None);
        using var copy = new MemoryStream();
        await stream.CopyToAsync(copy);

        Assert.Equal(1, proxy.Cuts);
        Assert.Equal(content, copy.ToArray());
        Assert.Matches(@"Range: bytes=\d+-\r\n", proxy.Requests);
    }

    [Fact]
    public async Task ResolveAsync_ServiceUnavailableWithRetryAfter_RetriesAndSucceeds()
    {
        var (manifest, _) = await TestImages.PushAsync(_client, Ref("retry:v1"), TestImages.RandomBytes(100, 13));
        using var proxy = new CuttingProxy(_server.Port);
        using var client = new RegistryClient();
        proxy.FailNext(1);

        var resolved = await client.ResolveAsync(ImageReference.Parse($"{proxy.Host}/retry:v1"), null, CancellationToken.None);

        Assert.Equal(manifest.Digest, resolved.ManifestDescriptor.Digest);
        Assert.Equal(2, proxy.Requests.Split("GET /v2/retry/manifests/v1 ").Length - 1);
    }

    [Fact]
    public async Task ResolveAsync_ServiceUnavailableOnEveryAttempt_ThrowsWithStatus()
    {
        using var proxy = new CuttingProxy(_server.Port);
        using var client = new RegistryClient(new RegistryClientOptions { MaxAttempts = 2, RetryMaxDelay = TimeSpan.FromMilliseconds(50) });
        proxy.FailNext(100);

        var error = await Assert.ThrowsAsync<RegistryException>(() =>
            client.ResolveAsync(ImageReference.Parse($"{proxy.Host}/retry:v1"), null, CancellationToken.None));

        Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Equal(2, proxy.Requests.Split("GET /v2/retry/manifests/v1 ").Length - 1);
    }

    [Fact]
    public async Task GetBlobRangesAsync_MultiRange_ReturnsEachRange()
    {
        var content = TestImages.RandomBytes(100_000, 8);
        var descriptor = await _client.PushBlobAsync(Ref("ranges:x"), content, MediaTypes.OciLayerGzip, CancellationToken.None);
        ByteRange[] ranges = [new(10, 100), new(50_000, 3000), new(99_000, 1000)];

        var parts = await _client.GetBlobRangesAsync(Ref("ranges:x"), descriptor.ParsedDigest, ranges, CancellationToken.None);

        for (var i = 0; i < ranges.Length; i++) Assert.Equal(content.AsSpan((int)ranges[i].Offset, (int)ranges[i].Length).ToArray(), parts[i]);
    }

    [Fact]
    public async Task GetBlobRangesAsync_RegistryIgnoresMultiRange_FallsBackToSingleRanges()
    {
        using var proxy = new CuttingProxy(_server.Port) { HideMultiRange = true };
        using var client = new RegistryClient();
        var content = TestImages.RandomBytes(100_000, 9);
        var descriptor = await client.PushBlobAsync(Ref("ranges2:x"), content, MediaTypes.OciLayerGzip, CancellationToken.None);
        ByteRange[] ranges = [new(0, 10), new(70_000, 500)];

        var parts = await client.GetBlobRangesAsync(ImageReference.Parse($"{proxy.Host}/ranges2:x"), descriptor.ParsedDigest, ranges, CancellationToken.None);

        Assert.Equal(content.AsSpan(0, 10).ToArray(), parts[0]);
        Assert.Equal(content.AsSpan(70_000, 500).ToArray(), parts[1]);
        Assert.Contains("Range: bytes=70000-70499\r\n", proxy.Requests);
    }

    [Fact]
    public async Task GetReferrersAsync_RegistryWithoutApi_UsesFallbackTagAndFilters()
    {
        var (subject, _) = await TestImages.PushAsync(_client, Ref("refs:v1"), TestImages.RandomBytes(100, 10));
        var (artifact, _) = await TestImages.PushAsync(_client, Ref("refs:artifact"), TestImages.RandomBytes(100, 11));
        var fallback = OciJson.Serialize(new ImageIndex
        {
            MediaType = MediaTypes.OciIndex,
            Manifests = [artifact with { ArtifactType = "application/x.wanted" }, artifact with { ArtifactType = "application/x.other" }],
        });
        var tag = RegistryClient.ReferrersFallbackTag(subject.ParsedDigest);
        await _client.PushManifestAsync(Ref("refs:" + tag), MediaTypes.OciIndex, fallback, CancellationToken.None);

        var referrers = await _client.GetReferrersAsync(Ref("refs:v1"), subject.ParsedDigest, "application/x.wanted", CancellationToken.None);
        var none = await _client.GetReferrersAsync(Ref("refs:v1"), OciDigest.Compute(Encoding.UTF8.GetBytes("nothing")), null, CancellationToken.None);

        Assert.Equal(artifact.Digest, Assert.Single(referrers.Manifests).Digest);
        Assert.Empty(none.Manifests);
    }

    [Fact]
    public async Task ResolveAsync_MirrorInHostsToml_IsUsedBeforeDeadServer()
    {
        var (manifest, _) = await TestImages.PushAsync(_client, Ref("mirrored:v1"), TestImages.RandomBytes(100, 12));
        var certs = Directory.CreateTempSubdirectory("certs.d-");
        try
        {
            var hostDir = Directory.CreateDirectory(Path.Combine(certs.FullName, "registry.example"));
            await File.WriteAllTextAsync(Path.Combine(hostDir.FullName, "hosts.toml"), $"""
                server = "http://127.0.0.1:{LoopbackPort.Reserve()}"

                [host."http://{_server.Host}"]
                  capabilities = ["pull", "resolve"]
                """);
            using var client = new RegistryClient(new RegistryClientOptions { HostsDirectory = certs.FullName, MaxAttempts = 1 });

            var resolved = await client.ResolveAsync(ImageReference.Parse("registry.example/mirrored:v1"), null, CancellationToken.None);

            Assert.Equal(manifest.Digest, resolved.ManifestDescriptor.Digest);
        }
        finally
        {
            certs.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task ResolveAsync_PlainHttpServerNotConfiguredInsecure_RefusesWithoutConnecting()
    {
        var certs = Directory.CreateTempSubdirectory("certs.d-");
        try
        {
            var hostDir = Directory.CreateDirectory(Path.Combine(certs.FullName, "registry.example"));
            await File.WriteAllTextAsync(Path.Combine(hostDir.FullName, "hosts.toml"), "server = \"http://registry.example\"\n");
            using var client = new RegistryClient(new RegistryClientOptions { HostsDirectory = certs.FullName });

            var error = await Assert.ThrowsAsync<RegistryException>(() =>
                client.ResolveAsync(ImageReference.Parse("registry.example/app:v1"), null, CancellationToken.None));

            Assert.Contains("plain HTTP", error.Message);
        }
        finally
        {
            certs.Delete(recursive: true);
        }
    }
}
