using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.LazyLayers.Content;
using PluggableSnapshotter.LazyLayers.Nodes;
using PluggableSnapshotter.LazyLayers.Tree;

namespace PluggableSnapshotter.Plugins.Soci.Tests;

/// <summary>
/// A regular file of a local layer is read from its copy in the store only if the name there is a regular file of the
/// copy: a symlink (even to a file of the right size), a FIFO or a directory the layer put under that name is never
/// followed or opened, and the read goes to the layer's content instead.
/// </summary>
public sealed class LocalCopyReadTests : IDisposable
{
    private static readonly byte[] Expected = "the layer's bytes"u8.ToArray();
    private readonly string _root = Directory.CreateTempSubdirectory("local-copy-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task ReadAsync_TheNameIsARegularFileOfTheCopy_ReadsTheCopy()
    {
        var copy = Directory.CreateDirectory(Path.Combine(_root, "copy")).FullName;
        await File.WriteAllBytesAsync(Path.Combine(copy, "f"), Expected);

        Assert.Equal(Expected, await ReadAsync(copy, "f", new ContentNeverRead()));
    }

    [Theory]
    [InlineData("a symlink out of the copy")]
    [InlineData("a symlink within the copy")]
    [InlineData("a directory that is a symlink")]
    [InlineData("a fifo")]
    public async Task ReadAsync_TheNameIsSomethingElseTheLayerPlanted_ReadsTheContentInstead(string what)
    {
        var copy = Directory.CreateDirectory(Path.Combine(_root, "copy")).FullName;
        var outside = Path.Combine(_root, "host-secret");
        await File.WriteAllBytesAsync(outside, "host's bytes, same size"u8.ToArray()[..Expected.Length]);
        await File.WriteAllBytesAsync(Path.Combine(copy, "inside"), "copy's bytes, same size"u8.ToArray()[..Expected.Length]);
        var name = "f";
        switch (what)
        {
            case "a symlink out of the copy":
                File.CreateSymbolicLink(Path.Combine(copy, name), outside);
                break;
            case "a symlink within the copy":
                File.CreateSymbolicLink(Path.Combine(copy, name), "inside");
                break;
            case "a directory that is a symlink":
                Directory.CreateSymbolicLink(Path.Combine(copy, "d"), _root);
                name = "d/host-secret";
                break;
            default:
                Assert.Equal(0, Mono.Unix.Native.Syscall.mkfifo(Path.Combine(copy, name), Mono.Unix.Native.FilePermissions.S_IRUSR | Mono.Unix.Native.FilePermissions.S_IWUSR));
                break;
        }

        var reading = ReadAsync(copy, name, new FixedContent());

        Assert.Equal(Expected, await reading.WaitAsync(TimeSpan.FromSeconds(10))); // a FIFO opened for reading would wait for a writer
    }

    private static async Task<byte[]> ReadAsync(string copy, string name, ILayerContent content)
    {
        content.LocalRoot = copy;
        var inode = new LayerInode(LayerInodeType.Regular) { Size = Expected.Length, DataOffset = 0 };
        var node = new LayerFileNode(inode, OwnerMapping.Identity, content, name, NullLogger.Instance);
        var buffer = new byte[64];
        var read = await node.ReadAsync(0, buffer, CancellationToken.None);
        return buffer[..read.Value];
    }

    /// <summary>The layer's bytes as its format serves them.</summary>
    private sealed class FixedContent : ILayerContent
    {
        public string LayerDigest => "sha256:test";
        public string? LocalRoot { get; set; }

        public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
        {
            Expected.AsMemory((int)offset, destination.Length).CopyTo(destination);
            return Task.CompletedTask;
        }
    }

    /// <summary>Content that must not be read: the local copy serves.</summary>
    private sealed class ContentNeverRead : ILayerContent
    {
        public string LayerDigest => "sha256:test";
        public string? LocalRoot { get; set; }
        public Task ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) => throw new InvalidOperationException("read from the content");
    }
}
