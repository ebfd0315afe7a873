using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Mounts;
using PluggableSnapshotter.TestSupport.Registry;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

/// <summary>
/// The compressed-range reader both lazy formats share, against a loopback docker-registry (root only: its storage is a
/// tmpfs): stored bytes first, announced fetches, verification before keeping, forget-and-retry of stored bytes.
/// </summary>
public sealed class VerifiedRangeReaderTests : IAsyncLifetime
{
    private static readonly byte[] Blob = RandomBytes(64 * 1024);
    private static readonly ByteRange Range = new(4096, 16384);
    private TmpfsDirectory? _directory;
    private RegistryFixture? _registry;
    private RegistryClient? _client;
    private ImageReference? _repository;
    private Descriptor? _descriptor;

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        _directory = await TmpfsDirectory.CreateAsync("verified-ranges", CancellationToken.None);
        _registry = await RegistryFixture.StartAsync(CancellationToken.None, _directory.Path);
        _client = new RegistryClient();
        _repository = ImageReference.Parse(_registry.Reference("test/ranges", "v1"));
        _descriptor = await _client.PushBlobAsync(_repository, Blob, MediaTypes.OciLayerGzip, CancellationToken.None);
    }

    [RootOnlyFact]
    public async Task ReadAsync_StoredBytesFailTheDigest_ForgetsThemAndServesTheRegistrysBytes()
    {
        using var partial = OpenPartial();
        partial.Write(Range.Offset, new byte[Range.Length]); // a torn write: zeros where the blob's bytes belong
        var reader = Reader(partial);

        var bytes = await reader.ReadAsync(Range, CheckAgainstBlob, CancellationToken.None);

        Assert.Equal(Slice(Range), bytes);
        Assert.Equal(Range.Length, reader.ForgottenBytes);
        Assert.Equal(Range.Length, reader.FetchedBytes);
        var stored = new byte[Range.Length];
        partial.Read(Range.Offset, stored);
        Assert.Equal(Slice(Range), stored); // the good bytes replaced them
    }

    [RootOnlyFact]
    public async Task ReadAsync_PartOfTheRangeStored_FetchesOnlyTheGapAndKeepsTheRangeOnceVerified()
    {
        using var partial = OpenPartial();
        var head = new ByteRange(Range.Offset, 4096);
        partial.Write(head.Offset, Slice(head));
        var reader = Reader(partial);

        var bytes = await reader.ReadAsync(Range, CheckAgainstBlob, CancellationToken.None);

        Assert.Equal(Slice(Range), bytes);
        Assert.Equal(Range.Length - head.Length, reader.FetchedBytes);
        Assert.Equal(head.Length, reader.StoredBytes);
        Assert.True(partial.Contains(Range));
    }

    [RootOnlyFact]
    public async Task ReadAsync_HeadAndTailStored_WritesOnlyTheFetchedMiddleToThePartialBlob()
    {
        using var partial = OpenPartial();
        var (head, tail) = (new ByteRange(Range.Offset, 4096), new ByteRange(Range.End - 2048, 2048));
        partial.Write(head.Offset, Slice(head));
        partial.Write(tail.Offset, Slice(tail));
        var writtenBefore = partial.BytesWritten;
        var reader = Reader(partial);

        var bytes = await reader.ReadAsync(Range, CheckAgainstBlob, CancellationToken.None);

        Assert.Equal(Slice(Range), bytes);
        var middle = Range.Length - head.Length - tail.Length;
        Assert.Equal(middle, reader.FetchedBytes);
        Assert.Equal(middle, partial.BytesWritten - writtenBefore); // the stored bytes are not written again
        Assert.True(partial.Contains(Range));
        var stored = new byte[Range.Length];
        partial.Read(Range.Offset, stored);
        Assert.Equal(Slice(Range), stored);
    }

    [RootOnlyFact]
    public async Task ReadAsync_FetchedBytesFailTheDigest_ThrowsAndKeepsNothing()
    {
        using var partial = OpenPartial();
        var reader = Reader(partial);

        await Assert.ThrowsAsync<InvalidDataException>(() => reader.ReadAsync<byte[]>(Range, _ => throw new InvalidDataException("wrong digest"), CancellationToken.None));

        Assert.Equal(0, partial.BytesPresent);
        Assert.Equal(0, reader.ForgottenBytes);
        Assert.Equal(Range.Length, reader.FetchedBytes); // fetched once: no retry without stored bytes to blame
    }

    [RootOnlyFact]
    public async Task ReadAsync_PartlyVerified_ReturnsTheValueButKeepsNothing()
    {
        using var partial = OpenPartial();
        var reader = Reader(partial);

        var value = await reader.ReadAsync(Range, _ => new DecodedRange<int>(7, Verified: false), CancellationToken.None);

        Assert.Equal(7, value);
        Assert.Equal(0, partial.BytesPresent);
    }

    [RootOnlyFact]
    public async Task ReadAsync_AnotherFetcherAnnouncedTheRange_WaitsForItAndFetchesNothing()
    {
        using var partial = OpenPartial();
        var (theirs, _) = partial.BeginFetch(new ByteRange(0, Blob.Length));
        var reader = Reader(partial);

        var read = reader.ReadAsync(Range, CheckAgainstBlob, CancellationToken.None);
        await Task.Delay(200);
        Assert.False(read.IsCompleted);
        partial.Write(0, Blob);
        theirs!.Dispose();

        Assert.Equal(Slice(Range), await read);
        Assert.Equal(0, reader.FetchedBytes);
    }

    private VerifiedRangeReader Reader(PartialBlob partial) =>
        new(new OnDemandFetch(_client!, new FetchOptions()), _repository!, _descriptor!.ParsedDigest, () => partial);

    private PartialBlob OpenPartial() => PartialBlob.Open(_directory!.Combine("blob-" + Guid.NewGuid().ToString("N")[..8]), Blob.Length);

    private static DecodedRange<byte[]> CheckAgainstBlob(ReadOnlyMemory<byte> compressed)
    {
        if (!compressed.Span.SequenceEqual(Slice(Range))) throw new InvalidDataException("the range's bytes differ from the blob's");
        return new DecodedRange<byte[]>(compressed.ToArray(), Verified: true);
    }

    private static byte[] Slice(ByteRange range) => Blob.AsSpan((int)range.Offset, (int)range.Length).ToArray();

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(5).NextBytes(bytes);
        return bytes;
    }

    public async Task DisposeAsync()
    {
        _client?.Dispose();
        if (_registry is not null) await _registry.DisposeAsync();
        if (_directory is not null) await _directory.DisposeAsync();
    }
}
