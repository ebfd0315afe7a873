using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.Layers;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Fill;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Soci.Tree;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Registry.Downloads;
using PluggableSnapshotter.Registry.Streams;
using PluggableSnapshotter.Soci;
using PluggableSnapshotter.Soci.Build;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Tars;

namespace PluggableSnapshotter.Plugins.Soci.Tests.Fill;

/// <summary>
/// Reads of a layer whose fill is under way take the files it unpacked from bytes that passed their span digests
/// (<see cref="UnpackedFiles"/>): the applier unpacks a real gzip layer through the span check, held at a chosen byte of
/// the blob as a fill waits for bytes nobody fetched yet (root only: the applier sets ownership).
/// </summary>
public sealed class UnpackedFilesTests : IDisposable
{
    private const long SpanSize = 64 * 1024;
    private readonly string _root = Directory.CreateTempSubdirectory("unpacked-files-").FullName;
    private readonly byte[] _a = Random(300 * 1024, 1);
    private readonly byte[] _b = Random(1 << 20, 2);

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [RootOnlyFact]
    public async Task Open_FileUnpackedFromVerifiedSpans_ReturnsItsCopyAndNothingElse()
    {
        var layer = await LayerAsync(new LayerBuilder().Dir("data/").File("data/c", "small").File("data/a", _a).File("data/b", _b));
        var (a, b) = (layer.File("data/a"), layer.File("data/b"));
        await using var unpack = layer.UnpackUntil(layer.SpansPast(a, 2));

        var copy = await unpack.WaitForAsync(a);

        Assert.Equal(_a, await ReadAllAsync(copy));
        Assert.Null(unpack.Files.Open(b.UncompressedOffset, b.UncompressedSize)); // not written, not verified
        Assert.Null(unpack.Files.Open(a.UncompressedOffset, a.UncompressedSize - 1)); // another entry's size
        Assert.Null(unpack.Files.OffBecause);
    }

    [RootOnlyFact]
    public async Task Open_TheBlobHeldInsideTheSpanWithTheFilesLastByte_ReturnsNull()
    {
        var layer = await LayerAsync(new LayerBuilder().Dir("data/").File("data/a", _a).File("data/b", _b));
        var a = layer.File("data/a");
        var last = layer.Spans.SpanOf(a.UncompressedOffset + a.UncompressedSize - 1);
        await using var unpack = layer.UnpackUntil((int)layer.Spans.CompressedSpanRange(last).End - 1); // that span's last byte held back

        await Task.Delay(1000); // whatever the unpack can write from the bytes it has: data/a, perhaps

        Assert.Null(unpack.Files.Open(a.UncompressedOffset, a.UncompressedSize)); // its last span is not verified
        Assert.Null(unpack.Files.OffBecause);
    }

    [RootOnlyFact]
    public async Task Open_ASpanTheFileCameFromFailedItsDigest_ServesNothing()
    {
        var layer = await LayerAsync(new LayerBuilder().Dir("data/").File("data/a", _a).File("data/b", _b));
        var a = layer.File("data/a");
        // The zTOC says another digest for a span of data/a: the bytes unpack as ever, but they are not what it promised.
        var wrong = layer.Spans.SpanOf(a.UncompressedOffset + a.UncompressedSize / 2);
        var digests = layer.Ztoc.CompressionInfo.SpanDigests.ToArray();
        digests[wrong] = "sha256:" + new string('0', 64);
        var ztoc = layer.Ztoc with { CompressionInfo = layer.Ztoc.CompressionInfo with { SpanDigests = digests } };
        layer = layer with { Ztoc = ztoc, Spans = new ZtocSpans(ztoc) };
        await using var unpack = layer.UnpackUntil(layer.SpansPast(a, 2));

        for (var waited = 0; unpack.Files.OffBecause is null && waited < 300; waited++) await Task.Delay(100);

        Assert.Null(unpack.Files.Open(a.UncompressedOffset, a.UncompressedSize));
        Assert.Contains($"span {wrong} has digest", unpack.Files.OffBecause);
    }

    [RootOnlyTheory]
    [InlineData("a name given twice")]
    [InlineData("a whiteout of the layer's own file")]
    [InlineData("a file in place of a directory")]
    public async Task Open_AnEntryRemovedANameWrittenBefore_ServesNothing(string shape)
    {
        var builder = new LayerBuilder().Dir("data/").File("data/a", _a);
        builder = shape switch
        {
            "a name given twice" => builder.File("data/a", _a),
            "a whiteout of the layer's own file" => builder.File("data/.wh.a", ""),
            _ => builder.Dir("data/d/").File("data/d/inner", "x").File("data/d", "now a file"),
        };
        var layer = await LayerAsync(builder.File("data/b", _b));
        var a = layer.Ztoc.Files.First(f => f.Name.EndsWith("data/a", StringComparison.Ordinal)); // the first written
        var last = layer.Ztoc.Files.Where(f => !f.Name.EndsWith("data/b", StringComparison.Ordinal)).Max(f => f.UncompressedOffset);
        await using var unpack = layer.UnpackUntil(layer.SpansPast(layer.Ztoc.Files.Single(f => f.UncompressedOffset == last), 2));

        for (var waited = 0; unpack.Files.OffBecause is null && waited < 300; waited++) await Task.Delay(100);

        Assert.Contains("replaced", unpack.Files.OffBecause);
        Assert.Null(unpack.Files.Open(a.UncompressedOffset, a.UncompressedSize));
    }

    [Fact]
    public void Open_AWrittenFileWhoseLastBytesAreNotVerifiedYet_ReturnsNullUntilTheyAre()
    {
        var (files, written) = WrittenFile();

        files.VerifiedThrough(written.DataOffset + written.Size - 1);
        var early = files.Open(written.DataOffset, written.Size);
        files.VerifiedThrough(written.DataOffset + written.Size);
        using var verified = files.Open(written.DataOffset, written.Size);

        Assert.Null(early);
        Assert.NotNull(verified);
    }

    [Theory]
    [InlineData("another file")]
    [InlineData("a symlink to the file")]
    [InlineData("a fifo")]
    public async Task Open_ThePathNowNamesSomethingElse_ReturnsNullWithoutOpeningIt(string what)
    {
        var (files, written) = WrittenFile();
        files.VerifiedThrough(long.MaxValue);
        var moved = written.RawPath + ".moved";
        File.Move(written.RawPath, moved); // the written inode lives on under another name
        switch (what)
        {
            case "another file":
                File.WriteAllBytes(written.RawPath, _a);
                break;
            case "a symlink to the file":
                File.CreateSymbolicLink(written.RawPath, moved); // the same inode behind it: not followed
                break;
            default:
                Assert.Equal(0, Mono.Unix.Native.Syscall.mkfifo(written.RawPath, Mono.Unix.Native.FilePermissions.S_IRUSR | Mono.Unix.Native.FilePermissions.S_IWUSR));
                break;
        }

        var opening = Task.Run(() => files.Open(written.DataOffset, written.Size)); // a FIFO opened for reading would wait for a writer

        Assert.Null(await opening.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData(MediaTypes.OciLayerGzip, true)]
    [InlineData("application/vnd.docker.image.rootfs.diff.tar.gzip", true)]
    [InlineData("application/vnd.oci.image.layer.v1.tar", false)] // the unpack would not decompress what the zTOC's offsets count in
    [InlineData("application/vnd.oci.image.layer.v1.tar+zstd", false)]
    [InlineData(null, false)] // the unpack would go by the blob's magic bytes
    public async Task UnpackCheckFor_AGzipZtoc_ChecksOnlyALayerItsMediaTypeSaysIsGzip(string? mediaType, bool checks)
    {
        var layer = await LayerAsync(new LayerBuilder().File("a", _a));
        using var registry = new RegistryClient();
        var descriptor = new Descriptor { MediaType = MediaTypes.OciLayerGzip, Digest = OciDigest.Compute(layer.Blob).ToString(), Size = layer.Blob.Length };
        var content = new Content.LayerContent(new OnDemandFetch(registry, new FetchOptions()), ImageReference.Parse("127.0.0.1:1/test/unused:v1"), descriptor,
            layer.Ztoc, new SpanCache(1, long.MaxValue), readaheadSpans: 0);

        Assert.Equal(checks, content.UnpackCheckFor(mediaType) is not null);
    }

    /// <summary>A file written in a folder of its own, reported as the applier reports one, nothing verified yet.</summary>
    private (UnpackedFiles Files, AppliedFile Written) WrittenFile()
    {
        var path = Path.Combine(Directory.CreateDirectory(Path.Combine(_root, "staging")).FullName, "f");
        File.WriteAllBytes(path, _a);
        var status = Layers.Native.FileStatus.Of(path);
        var written = new AppliedFile(path, 1024, _a.Length, status.Inode, status.DevMajor, status.DevMinor);
        var files = new UnpackedFiles();
        ((IAppliedFiles)files).FileWritten(written);
        return (files, written);
    }

    [RootOnlyFact]
    public async Task ReadAsync_OfANodeWhoseFileTheFillUnpacked_TakesTheUnpackedCopyNotTheSpansAndPassesItThrough()
    {
        var layer = await LayerAsync(new LayerBuilder().Dir("data/").File("data/a", _a).File("data/b", _b));
        var a = layer.File("data/a");
        await using var unpack = layer.UnpackUntil(layer.SpansPast(a, 2));
        (await unpack.WaitForAsync(a)).Dispose();
        var inode = LayerTreePaths.Find(ZtocLayerEntries.BuildTree(layer.Ztoc, userXattr: false), ["data", "a"])!;
        var node = new LayerFileNode(inode, OwnerMapping.Identity, new SpansNeverRead(unpack.Files), "data/a", NullLogger.Instance);

        var buffer = new byte[100_000];
        var read = await node.ReadAsync(123_456, buffer, CancellationToken.None);

        using var backing = await node.OpenBackingFileAsync(CancellationToken.None); // with fuse.passthrough, the kernel reads it

        Assert.Equal(100_000, read.Value);
        Assert.Equal(_a.AsSpan(123_456, 100_000).ToArray(), buffer);
        Assert.Equal(_a, await ReadAllAsync(backing!));
    }

    private async Task<GzipLayer> LayerAsync(LayerBuilder builder)
    {
        var blob = Gzip(builder.Tar());
        var ztoc = await ZtocBuilder.BuildAsync(new MemoryStream(blob), LayerCompression.Gzip, new ZtocBuildOptions { SpanSize = SpanSize }, CancellationToken.None);
        return new GzipLayer(blob, ztoc, new ZtocSpans(ztoc), _root);
    }

    // Not LayerBuilder's fastest level, whose blocks (so spans) are as long as the layer here.
    private static byte[] Gzip(byte[] tar)
    {
        using var output = new MemoryStream();
        using (var gzip = new System.IO.Compression.GZipStream(output, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true)) gzip.Write(tar);
        return output.ToArray();
    }

    private static async Task<byte[]> ReadAllAsync(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        using var _ = handle;
        var bytes = new byte[RandomAccess.GetLength(handle)];
        var total = 0;
        while (total < bytes.Length) total += await RandomAccess.ReadAsync(handle, bytes.AsMemory(total), total);
        return bytes;
    }

    // Bytes of 4 bits each: deflate codes them in many small blocks, where checkpoints (and so spans) can end.
    private static byte[] Random(int length, int seed)
    {
        var random = new Random(seed);
        var bytes = new byte[length];
        for (var i = 0; i < length; i++) bytes[i] = (byte)random.Next(16);
        return bytes;
    }

    /// <summary>A gzip layer, its zTOC with small spans, and where its files lie.</summary>
    private sealed record GzipLayer(byte[] Blob, Ztoc Ztoc, ZtocSpans Spans, string Root)
    {
        public FileMetadata File(string name) => Ztoc.Files.Single(f => f.Name.EndsWith(name, StringComparison.Ordinal));

        /// <summary>The blob's bytes through the span <paramref name="more"/> spans after the one that ends <paramref name="file"/>.</summary>
        public int SpansPast(FileMetadata file, int more) =>
            (int)Spans.CompressedSpanRange(Spans.SpanOf(file.UncompressedOffset + file.UncompressedSize - 1) + more).End;

        /// <summary>Unpacks the layer through the span check, its blob held after <paramref name="bytes"/> bytes.</summary>
        public Unpacking UnpackUntil(int bytes)
        {
            var files = new UnpackedFiles();
            var blob = new HeldStream(Blob, bytes);
            var input = new SpanCheckingStream(blob, Spans, files.VerifiedThrough, files.TurnOff);
            var options = new LayerApplyOptions { MediaType = MediaTypes.OciLayerGzip, ComputeDiffId = false, AppliedFiles = files };
            var applying = new LayerApplier().ApplyAsync(input, Path.Combine(Root, "fs"), options, CancellationToken.None);
            return new Unpacking(files, blob, applying);
        }
    }

    /// <summary>An unpack under way: its files, and the held blob, let go on disposal so that the unpack ends.</summary>
    private sealed record Unpacking(UnpackedFiles Files, HeldStream Blob, Task Applying) : IAsyncDisposable
    {
        public async Task<Microsoft.Win32.SafeHandles.SafeFileHandle> WaitForAsync(FileMetadata file)
        {
            for (var waited = 0; waited < 300; waited++)
            {
                if (Files.Open(file.UncompressedOffset, file.UncompressedSize) is { } handle) return handle;
                Assert.False(Applying.IsCompleted, "the unpack ended before the blob was let go");
                await Task.Delay(100);
            }
            throw new TimeoutException($"{file.Name} was never served from the unpack");
        }

        public async ValueTask DisposeAsync()
        {
            Blob.LetGo();
            try
            {
                await Applying;
            }
            catch (InvalidDataException)
            {
                // A test's wrong byte.
            }
        }
    }

    /// <summary>A blob that serves its first bytes, then holds the rest back until let go.</summary>
    private sealed class HeldStream(byte[] data, int heldAt) : ForwardReadStream
    {
        private readonly TaskCompletionSource _go = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _position;

        public void LetGo() => _go.TrySetResult();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (_position == heldAt) await _go.Task.WaitAsync(cancellationToken);
            var end = _position < heldAt ? heldAt : data.Length;
            var count = Math.Min(buffer.Length, end - _position);
            data.AsMemory(_position, count).CopyTo(buffer);
            _position += count;
            return count;
        }

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override long Length => data.Length;
        public override long Position => _position;
    }

    /// <summary>A layer's content whose spans must not be read: the fill's unpacked files serve.</summary>
    private sealed class SpansNeverRead(UnpackedFiles files) : ILayerContent
    {
        public string LayerDigest => "sha256:test";
        public string? LocalRoot { get; set; }
        public UnpackedFiles? Unpacking => files;
        public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) => throw new InvalidOperationException("read from the spans");
    }
}
