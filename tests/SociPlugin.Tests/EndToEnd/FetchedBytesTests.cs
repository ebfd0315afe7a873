using System.Diagnostics.Metrics;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Snapshotter;

namespace PluggableSnapshotter.Plugins.Soci.Tests.EndToEnd;

/// <summary>
/// What readers fetch is kept in the layer's partial blob: the fill does not fetch it again, and it serves after the
/// file system restarts, with the registry frozen (root only: real FUSE mounts and the loopback registry).
/// </summary>
[Collection(SociImagesCollection.Name)]
public sealed class FetchedBytesTests(SociImages images) : BackendTestRoot(images, "fetched")
{
    [RootOnlyFact]
    public async Task Fill_AfterReadersFetchedSpans_FetchesOnlyTheRestOfTheBlob()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state");
        var options = new SociBackendOptions { BackgroundFill = new() { DelayMilliseconds = 300 } };
        await using var backend = TestBackend.Create(Registry, options, state, fill: true);
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, 1, Root, ct);
        var size = await LayerRequests.SizeAsync(Registry, layer, ct);
        var before = Images.Registry.Log.Length;

        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(Path.Combine(layer.Mountpoint, "data/nested/deeper/file"), ct));
        await using (var big = File.OpenRead(Path.Combine(layer.Mountpoint, "data/big")))
        {
            await big.ReadExactlyAsync(new byte[256 * 1024], ct);
        }
        await WaitForStateAsync(state, layer.LayerDigest!, "local", ct);

        var served = await ServedAsync(before, layer.LayerDigest!, size, ct);
        Assert.Equal(size, served); // each byte of the blob once: readers' spans and the fill's gaps
        var lines = await File.ReadAllLinesAsync(Path.Combine(layer.Mountpoint, "data/big"), ct);
        Assert.Equal(Enumerable.Range(0, lines.Length).Select(i => $"line {i} of a large file in a test layer"), lines);
    }

    [RootOnlyFact]
    public async Task Read_WithABackgroundFillComing_KeepsTheFetchedBytesButNoDecompressedSpans()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-no-spans");
        // The fill is on but starts only after the test: the reads alone decide what goes to disk.
        var options = new SociBackendOptions { BackgroundFill = new() { DelayMilliseconds = 600_000 } };
        await using var backend = TestBackend.Create(Registry, options, state, fill: true);
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, 1, Root, ct);

        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        await using (var big = File.OpenRead(Path.Combine(layer.Mountpoint, "data/big")))
        {
            await big.ReadExactlyAsync(new byte[256 * 1024], ct);
        }

        var stored = Path.Combine(state, "store", layer.LayerDigest!.Replace(':', '-'));
        Assert.True(new FileInfo(Path.Combine(stored, "blob.partial")).Length > 0);
        Assert.False(File.Exists(Path.Combine(stored, "tar.partial")));
        Assert.False(File.Exists(Path.Combine(stored, "tar.partial.spans")));
    }

    [RootOnlyFact]
    public async Task MountAsync_RestartWithTheRegistryFrozen_ServesWhatReadersFetchedBefore()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-restart");
        var options = new SociBackendOptions { Fetch = new() { AttemptTimeoutMilliseconds = 500, TimeoutMilliseconds = 1000 } };
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, 1, Root, ct);
        var file = Path.Combine(layer.Mountpoint, "data/nested/deeper/file");
        var big = Path.Combine(layer.Mountpoint, "data/big");
        byte[] expected;
        await using (var first = TestBackend.Create(Registry, options, state))
        {
            Assert.True((await first.MountAsync(layer, ct)).IsMounted);
            Assert.Equal("deep\n", await File.ReadAllTextAsync(file, ct));
            expected = await File.ReadAllBytesAsync(big, ct);
        }

        Images.Registry.Pause();
        try
        {
            await using var second = TestBackend.Create(Registry, options, state);
            var result = await second.MountAsync(layer, ct);

            Assert.True(result.IsMounted);
            Assert.Equal("deep\n", await File.ReadAllTextAsync(file, ct));
            Assert.Equal(expected, await File.ReadAllBytesAsync(big, ct));
        }
        finally
        {
            Images.Registry.Resume();
        }
    }

    [RootOnlyTheory]
    [InlineData(null, true)] // unset, a fill coming: spans read again are kept
    [InlineData(false, false)] // off: none
    public async Task Read_TwiceWithAOneSpanCacheAndAFillComing_KeepsTheSpansDecompressedAgainUnlessKeepingIsOff(bool? keep, bool kept)
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, $"state-again-{keep}");
        var options = new SociBackendOptions
        {
            BackgroundFill = new() { DelayMilliseconds = 600_000 },
            Cache = new SociCacheOptions { MaxLruCacheEntry = 1, ReadaheadSpans = 0, KeepDecompressed = keep },
        };
        await using var backend = TestBackend.Create(Registry, options, state, fill: true);
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, 1, Root, ct);
        var big = Path.Combine(layer.Mountpoint, "data/big");

        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        var first = await File.ReadAllBytesAsync(big, ct);
        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "1", ct); // the second read comes through the FUSE server
        var second = await File.ReadAllBytesAsync(big, ct);

        Assert.Equal(first, second);
        var stored = Path.Combine(state, "store", layer.LayerDigest!.Replace(':', '-'));
        if (kept)
        {
            // The map is saved after a span's bytes are written, just after its readers had it.
            var map = Path.Combine(stored, "tar.partial.spans");
            for (var waited = 0; !File.Exists(map) && waited < 100; waited++) await Task.Delay(50, ct);
            Assert.True(File.Exists(map), "a span decompressed again was not written");
        }
        else
        {
            Assert.False(File.Exists(Path.Combine(stored, "tar.partial")));
        }
    }

    [RootOnlyFact]
    public async Task Read_AFileTheRunningFillUnpacked_ComesFromItsUnpackedCopyOnceThePageCacheLetItGo()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-unpacked");
        // The fill starts after the read below and fetches only the gzip header (no span holds it; the first gap, and
        // with one request at a time the first to pass the gate), then waits for good: it unpacks what the read fetched
        // (the span of the small file) and stops at the next gap.
        var options = new SociBackendOptions
        {
            BackgroundFill = new() { DelayMilliseconds = 1000, MaxConcurrentRequests = 1 },
            Cache = new SociCacheOptions { ReadaheadSpans = 0 },
        };
        using var meter = new Meter("fetched-bytes-test");
        using var served = new ServedBytes(meter);
        await using var backend = TestBackend.Create(Registry, options, state, fill: true, fillGate: new Fill.ClosedGate(letThrough: 1), meter: meter);
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, 1, Root, ct);
        var small = Path.Combine(layer.Mountpoint, "data/nested/deeper/file"); // in the layer's first span, before data/big

        Assert.True((await backend.MountAsync(layer, ct)).IsMounted);
        Assert.Equal("deep\n", await File.ReadAllTextAsync(small, ct));
        // Read again through the FUSE server until the fill has unpacked it (it does so at once, at a lower priority).
        for (var attempt = 0; served.Unpacked == 0 && attempt < 30; attempt++)
        {
            await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "1", ct);
            Assert.Equal("deep\n", await File.ReadAllTextAsync(small, ct));
            if (served.Unpacked == 0) await Task.Delay(100, ct);
        }

        await File.WriteAllTextAsync("/proc/sys/vm/drop_caches", "1", ct);
        await using (var big = File.OpenRead(Path.Combine(layer.Mountpoint, "data/big")))
        {
            await big.ReadExactlyAsync(new byte[64 * 1024], ct); // not all unpacked: from its spans
        }

        Assert.Equal(5, served.Unpacked);
        // Not its local copy: the fill still waits for the rest of the blob.
        Assert.Equal("filling", StoreStatusFile.Read(Path.Combine(state, "status.json"))?.GetValueOrDefault(layer.LayerDigest!));
    }

    /// <summary>Bytes reads took from the running fill's unpacked files, as the backend's metrics count them.</summary>
    private sealed class ServedBytes : IDisposable
    {
        private readonly MeterListener _listener = new();
        private long _unpacked;

        public ServedBytes(Meter meter)
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter == meter && instrument.Name == "soci_content_read_bytes") listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<long>((_, bytes, tags, _) =>
            {
                foreach (var tag in tags)
                {
                    if (tag is { Key: "source", Value: "unpacked" }) Interlocked.Add(ref _unpacked, bytes);
                }
            });
            _listener.Start();
        }

        public long Unpacked => Interlocked.Read(ref _unpacked);

        public void Dispose() => _listener.Dispose();
    }

    [RootOnlyFact]
    public async Task MountAsync_RestartWithTheRegistryFrozenAndTheCompressedBytesGone_ServesFromTheDecompressedSpans()
    {
        var ct = SociImages.Timeout;
        var state = Path.Combine(Root, "state-decompressed");
        var options = new SociBackendOptions { Fetch = new() { AttemptTimeoutMilliseconds = 500, TimeoutMilliseconds = 1000 } };
        var layer = await LayerRequests.CreateAsync(Registry, Images.Converted, 1, Root, ct);
        var big = Path.Combine(layer.Mountpoint, "data/big");
        byte[] expected;
        await using (var first = TestBackend.Create(Registry, options, state))
        {
            Assert.True((await first.MountAsync(layer, ct)).IsMounted);
            expected = await File.ReadAllBytesAsync(big, ct);
        }
        var stored = Path.Combine(state, "store", layer.LayerDigest!.Replace(':', '-'));
        Assert.True(File.Exists(Path.Combine(stored, "tar.partial.spans")));
        // Only the decompressed spans can serve now: the compressed bytes fail their span digests, the registry is frozen.
        var blob = Path.Combine(stored, "blob.partial");
        await File.WriteAllBytesAsync(blob, new byte[new FileInfo(blob).Length], ct);

        Images.Registry.Pause();
        try
        {
            await using var second = TestBackend.Create(Registry, options, state);

            Assert.True((await second.MountAsync(layer, ct)).IsMounted);
            Assert.Equal(expected, await File.ReadAllBytesAsync(big, ct));
        }
        finally
        {
            Images.Registry.Resume();
        }
    }

    [RootOnlyFact]
    public async Task MountAsync_EveryLayerOfAnImage_FetchesEachZtocOnce()
    {
        var ct = SociImages.Timeout;
        await using var backend = TestBackend.Create(Registry, new SociBackendOptions(), Path.Combine(Root, "state-ztocs"));
        var resolved = await Registry.ResolveAsync(ImageReference.Parse(Images.Converted), null, ct);
        var index = SociIndexManifest.Parse((await Registry.GetManifestAsync(
            ImageReference.Parse(Images.Converted).WithSelector(resolved.Manifest.Annotations![SociAnnotations.IndexDigest]), ct)).Bytes);
        var before = Images.Registry.Log.Length;

        for (var i = 0; i < resolved.Manifest.Layers.Count; i++)
        {
            Assert.True((await backend.MountAsync(await LayerRequests.CreateAsync(Registry, Images.Converted, i, Root, ct), ct)).IsMounted);
        }

        var expected = index.Ztocs.Sum(z => z.Size);
        Assert.Equal(expected, await ServedAsync(before, [.. index.Ztocs.Select(z => z.Digest)], expected, ct));
    }

    private Task<long> ServedAsync(int from, string digest, long expected, CancellationToken ct) => ServedAsync(from, [digest], expected, ct);

    /// <summary>Blob bytes the registry served for <paramref name="digests"/> since log offset <paramref name="from"/>, once its log shows at least <paramref name="expected"/>.</summary>
    private async Task<long> ServedAsync(int from, IReadOnlyCollection<string> digests, long expected, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(5);
        while (true)
        {
            var served = RegistryTraffic.BlobBytes(Images.Registry.Log[from..], digests);
            if (served >= expected)
            {
                await Task.Delay(300, ct); // a second fetch would show up now
                return RegistryTraffic.BlobBytes(Images.Registry.Log[from..], digests);
            }
            if (DateTime.UtcNow > deadline) return served;
            await Task.Delay(100, ct); // the registry writes its log lines after the response
        }
    }

    private static async Task WaitForStateAsync(string state, string digest, string wanted, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        string? current = null;
        while (current != wanted && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100, ct);
            current = StoreStatusFile.Read(Path.Combine(state, "status.json"))?.GetValueOrDefault(digest);
        }
        Assert.Equal(wanted, current);
    }
}
