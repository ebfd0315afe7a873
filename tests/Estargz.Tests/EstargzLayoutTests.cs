using System.Text;
using PluggableSnapshotter.Fuse;
using PluggableSnapshotter.LazyLayers.Tree;
using PluggableSnapshotter.Plugins.Estargz.Format;

namespace PluggableSnapshotter.Plugins.Estargz.Tests;

public sealed class EstargzLayoutTests
{
    [Fact]
    public void Build_OverlayConventions_WhiteoutsOpaqueHardLinksXattrsModesOwners()
    {
        var toc = new Toc
        {
            Version = 1,
            Entries =
            [
                new() { Name = "data/", Type = "dir", Mode = 0x41E8, Uid = 1000, Gid = 1000, ModTime = "2023-05-06T07:08:09.123456789Z" },
                new() { Name = "data/.wh.gone", Type = "reg", Uid = 5, Gid = 6 },
                new() { Name = "data/opaque/.wh..wh..opq", Type = "reg" },
                new() { Name = "data/file", Type = "reg", Size = 3, Mode = 0x9ED, Offset = 10, ChunkDigest = "sha256:" + new string('a', 64),
                    Xattrs = new() { ["user.k"] = "v"u8.ToArray() } },
                new() { Name = "data/link", Type = "hardlink", LinkName = "data/file" },
                new() { Name = "data/sym", Type = "symlink", LinkName = "file" },
                new() { Name = "data/null", Type = "char", DevMajor = 1, DevMinor = 3, Mode = 0x1B6 },
                new() { Name = "implicit/deeper/f", Type = "reg" },
            ],
        };

        var layout = EstargzLayout.Build(toc, dataEnd: 100, userXattr: false, requireDigests: true, groupBytes: 1 << 20);

        var data = layout.Root.Children!["data"];
        Assert.Equal((0x1E8u, 1000u, 1000u), (data.Permissions, data.Uid, data.Gid));
        Assert.Equal(new UnixTime(1683356889, 123456789), data.ModificationTime); // every nanosecond the TOC holds
        var whiteout = data.Children!["gone"];
        Assert.Equal((LayerInodeType.CharacterDevice, 0u, 0u, 0u), (whiteout.Type, whiteout.DevMajor, whiteout.DevMinor, whiteout.Permissions));
        Assert.Equal((5u, 6u), (whiteout.Uid, whiteout.Gid)); // owned as the whiteout entry, as containerd's OverlayConvertWhiteout does
        Assert.Equal("y"u8.ToArray(), data.Children["opaque"].Xattrs!["trusted.overlay.opaque"]);
        var file = data.Children["file"];
        Assert.Same(file, data.Children["link"]);
        Assert.Equal((2u, 0x9EDu, 3L), (file.LinkCount, file.Permissions, file.Size));
        Assert.Equal("v"u8.ToArray(), file.Xattrs!["user.k"]);
        Assert.Equal("file", data.Children["sym"].LinkTarget);
        Assert.Equal((1u, 3u), (data.Children["null"].DevMajor, data.Children["null"].DevMinor));
        Assert.True(layout.Root.Children["implicit"].Implicit);
        Assert.Equal(7, layout.Entries - 1); // the opaque marker is an entry but no inode
    }

    [Fact]
    public void Build_ChunkedFiles_ContentSpaceCoversEachFileAndGroupsRespectTheBound()
    {
        var (blob, json, tocOffset) = new EstargzBlobWriter()
            .File("a", Encoding.ASCII.GetBytes(new string('a', 10_000)), chunkSize: 4096)
            .File("b", EstargzBlobWriter.Text("bee"))
            .Build();
        var toc = TocReader.Parse(json, null);

        var layout = EstargzLayout.Build(toc, tocOffset, userXattr: false, requireDigests: true, groupBytes: 4096);

        Assert.Equal([0L, 4096, 8192, 10_000], layout.Chunks.Select(c => c.ContentOffset));
        Assert.Equal([4096L, 4096, 1808, 3], layout.Chunks.Select(c => c.Size));
        Assert.Equal(10_000, layout.Root.Children!["b"].DataOffset);
        Assert.All(layout.Chunks.Zip(layout.Chunks.Skip(1)), pair => Assert.Equal(pair.First.BlobEnd, pair.Second.BlobOffset));
        Assert.Equal(tocOffset, layout.Chunks[^1].BlobEnd);
        Assert.Single(layout.Groups); // compressed, the four members fit in 4 KiB
        Assert.Equal(2, layout.ChunkAt(8192));
        Assert.Equal(3, layout.ChunkAt(10_002));
        Assert.NotEmpty(blob);
    }

    [Fact]
    public void Build_Landmark_IsHiddenAndEndsThePrefetchSection()
    {
        var toc = new Toc
        {
            Version = 1,
            Entries =
            [
                new() { Name = "hot", Type = "reg", Size = 1, Offset = 0, ChunkDigest = "sha256:" + new string('b', 64) },
                new() { Name = ".prefetch.landmark", Type = "reg", Size = 1, Offset = 40, ChunkDigest = "sha256:" + new string('c', 64) },
                new() { Name = "cold", Type = "reg", Size = 1, Offset = 80, ChunkDigest = "sha256:" + new string('d', 64) },
            ],
        };

        var layout = EstargzLayout.Build(toc, 120, false, true, 1 << 20);

        Assert.Equal(40, layout.PrefetchEnd);
        Assert.Equal(["cold", "hot"], layout.Root.Children!.Keys);
        Assert.Equal(80, layout.Chunks[0].BlobEnd); // the landmark's member lies between, unread
    }

    [Fact]
    public void Build_ChunkWithoutDigestWhenVerifying_Throws()
    {
        var toc = new Toc { Version = 1, Entries = [new() { Name = "f", Type = "reg", Size = 4, Offset = 0 }] };

        Assert.Throws<InvalidDataException>(() => EstargzLayout.Build(toc, 10, false, requireDigests: true, 1 << 20));
        Assert.Single(EstargzLayout.Build(toc, 10, false, requireDigests: false, 1 << 20).Chunks);
    }

    [Fact]
    public void Build_ChunksThatDoNotCoverTheFile_Throws()
    {
        var toc = new Toc
        {
            Version = 1,
            Entries =
            [
                new() { Name = "f", Type = "reg", Size = 10, ChunkSize = 4, Offset = 0 },
                new() { Name = "f", Type = "chunk", ChunkOffset = 6, ChunkSize = 4, Offset = 5 },
            ],
        };

        Assert.Throws<InvalidDataException>(() => EstargzLayout.Build(toc, 10, false, false, 1 << 20));
    }

    [Fact]
    public void Build_NameClimbingOut_Throws()
    {
        var toc = new Toc { Version = 1, Entries = [new() { Name = "../etc/passwd", Type = "reg" }] };

        Assert.Throws<InvalidDataException>(() => EstargzLayout.Build(toc, 10, false, false, 1 << 20));
    }
}
