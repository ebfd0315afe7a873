using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using PluggableSnapshotter.Layers.Native;
using PluggableSnapshotter.Registry;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport.Registry;
using PluggableSnapshotter.TestSupport.Mounts;
using FileStat = PluggableSnapshotter.TestSupport.Rootfs.FileStat;
using PluggableSnapshotter.TestSupport.Tars;
using PluggableSnapshotter.TestSupport;

namespace PluggableSnapshotter.Plugins.Local.Tests;

/// <summary>The local backend, built through its plugin entry point, against a loopback registry (root only: tmpfs, ownership).</summary>
public sealed class LocalFileSystemTests : IAsyncLifetime
{
    private readonly Tmpfs _tmpfs = new();
    private RegistryFixture _registry = null!;
    private ServiceProvider _services = null!;
    private IFileSystem _fileSystem = null!;
    private RegistryClient _pusher = null!;
    private int _snapshots;

    public async Task InitializeAsync()
    {
        _registry = await RegistryFixture.StartAsync(CancellationToken.None);
        var services = new ServiceCollection();
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["hosts_dir"] = "" }).Build();
        new LocalPlugin().ConfigureServices(services, new PluginContext
        {
            Name = "local", Settings = settings, SnapshotterRoot = _tmpfs.Root, StateDirectory = _tmpfs.PathOf("state"),
        });
        _services = services.BuildServiceProvider();
        _fileSystem = _services.GetRequiredService<IFileSystem>();
        _pusher = new RegistryClient();
    }

    public async Task DisposeAsync()
    {
        _pusher.Dispose();
        await _services.DisposeAsync();
        await _registry.DisposeAsync();
        _tmpfs.Dispose();
    }

    [RootOnlyFact]
    public async Task MountLocalAsync_CriLabels_UnpacksVerifiedLayer()
    {
        var image = await PushImageAsync("cri/app:v1", Layer1(), Layer2());
        var request = Request(Cri(image, 1));

        var result = await _fileSystem.MountLocalAsync(request, [], CancellationToken.None);

        Assert.True(result.IsMounted);
        Assert.Equal("second", File.ReadAllText(Path.Combine(request.Mountpoint, "etc/second")));
        Assert.Equal("character special file", FileStat.Of(Path.Combine(request.Mountpoint, "etc/first")).Type); // whiteout
        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(request.Mountpoint, "opaque"), "trusted.overlay.opaque"));
        Assert.Single(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(request.Mountpoint)!)); // no staging left
    }

    [RootOnlyFact]
    public async Task MountLocalAsync_StargzLabels_UnpacksLayer()
    {
        var image = await PushImageAsync("rpull/app:v1", Layer1());
        var request = Request(new Dictionary<string, string>
        {
            [SnapshotLabels.StargzReference] = image.Reference,
            [SnapshotLabels.StargzDigest] = image.Layers[0].Digest,
            [SnapshotLabels.TargetRef] = "target",
        });

        var result = await _fileSystem.MountLocalAsync(request, [], CancellationToken.None);

        Assert.True(result.IsMounted);
        Assert.Equal(("1000", "4755"), (FileStat.Of(Path.Combine(request.Mountpoint, "bin/tool")).Uid.ToString(), FileStat.Of(Path.Combine(request.Mountpoint, "bin/tool")).Mode));
    }

    [RootOnlyFact]
    public async Task MountLocalAsync_BlobBytesDoNotMatchDigest_ThrowsAndLeavesMountpointEmpty()
    {
        var image = await PushImageAsync("tampered/app:v1", Layer1());
        var stored = _registry.BlobDataPath(image.Layers[0].Digest);
        var bytes = await File.ReadAllBytesAsync(stored);
        bytes[^10] ^= 0x55; // in the gzip trailer: decompression may still succeed, the digest cannot
        await File.WriteAllBytesAsync(stored, bytes);
        var request = Request(Cri(image, 0));

        var error = await Assert.ThrowsAnyAsync<InvalidDataException>(() => _fileSystem.MountLocalAsync(request, [], CancellationToken.None));

        Assert.Contains(image.Layers[0].Digest, error.Message + error.InnerException?.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(request.Mountpoint));
        Assert.Single(Directory.EnumerateFileSystemEntries(Path.GetDirectoryName(request.Mountpoint)!));
    }

    [RootOnlyFact]
    public async Task MountLocalAsync_WrongDiffIdInConfig_ThrowsAndLeavesMountpointEmpty()
    {
        var image = await PushImageAsync("diffid/app:v1", [Layer1()], wrongDiffIds: true);
        var request = Request(Cri(image, 0));

        var error = await Assert.ThrowsAsync<InvalidDataException>(() => _fileSystem.MountLocalAsync(request, [], CancellationToken.None));

        Assert.Contains("diff ID", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(request.Mountpoint));
    }

    [RootOnlyFact]
    public async Task MountLocalAsync_NoImageLabels_Defers()
    {
        var result = await _fileSystem.MountLocalAsync(Request(new Dictionary<string, string>()), [], CancellationToken.None);
        Assert.Equal(MountOutcome.DeferToContainerRuntime, result.Outcome);
    }

    [RootOnlyFact]
    public async Task IdMapMountLocalAsync_MountedLayer_CopiesWithShiftedOwners()
    {
        var image = await PushImageAsync("idmap/app:v1", Layer1(), Layer2());
        var request = Request(Cri(image, 1));
        await _fileSystem.MountLocalAsync(request, [], CancellationToken.None);
        var map = new IdMap([new IdMapping(0, 100000, 65536)], [new IdMapping(0, 200000, 65536)]);

        var copy = await _fileSystem.IdMapMountLocalAsync(request.Mountpoint, "7", map, CancellationToken.None);

        var root = FileStat.Of(copy);
        Assert.Equal((100000, 200000), (root.Uid, root.Gid));
        var file = FileStat.Of(Path.Combine(copy, "owned"));
        Assert.Equal((101000, 200050, "640"), (file.Uid, file.Gid, file.Mode));
        Assert.Equal(FileStat.Of(Path.Combine(copy, "owned")).Inode, FileStat.Of(Path.Combine(copy, "owned-link")).Inode);
        Assert.Equal("character special file", FileStat.Of(Path.Combine(copy, "etc/first")).Type);
        Assert.Equal("y"u8.ToArray(), Xattrs.Get(Path.Combine(copy, "opaque"), "trusted.overlay.opaque"));
        Assert.Equal("second", File.ReadAllText(Path.Combine(copy, "etc/second")));
        Assert.Equal(copy, await _fileSystem.IdMapMountLocalAsync(request.Mountpoint, "7", map, CancellationToken.None));
    }

    private static byte[] Layer1() => LayerBuilder.Gzip(new LayerBuilder()
        .Dir("bin/").File("bin/tool", "t", (UnixFileMode)0x9ED, uid: 1000, gid: 1000).Dir("etc/").File("etc/first", "1").Tar());

    private static byte[] Layer2() => LayerBuilder.Zstd(new LayerBuilder()
        .Dir("etc/").File("etc/.wh.first", "").File("etc/second", "second").Dir("opaque/").File("opaque/.wh..wh..opq", "")
        .File("owned", "o", (UnixFileMode)0x1A0, uid: 1000, gid: 50).HardLink("owned-link", "owned", (UnixFileMode)0x1A0, uid: 1000, gid: 50).Tar());

    private sealed record PushedImage(string Reference, string ManifestDigest, IReadOnlyList<Descriptor> Layers);

    private Task<PushedImage> PushImageAsync(string repositoryAndTag, params byte[][] layers) => PushImageAsync(repositoryAndTag, layers, false);

    private async Task<PushedImage> PushImageAsync(string repositoryAndTag, byte[][] layers, bool wrongDiffIds)
    {
        var reference = ImageReference.Parse($"{_registry.Host}/{repositoryAndTag}");
        var descriptors = new List<Descriptor>();
        var diffIds = new List<string>();
        foreach (var layer in layers)
        {
            var zstd = layer[0] == 0x28;
            descriptors.Add(await _pusher.PushBlobAsync(reference, layer, zstd ? MediaTypes.OciLayerZstd : MediaTypes.OciLayerGzip, CancellationToken.None));
            diffIds.Add(wrongDiffIds ? "sha256:" + new string('1', 64) : DiffId(layer, zstd));
        }

        var config = Encoding.UTF8.GetBytes($$"""{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[{{string.Join(',', diffIds.Select(d => $"\"{d}\""))}}]} }""");
        var configDescriptor = await _pusher.PushBlobAsync(reference, config, MediaTypes.OciConfig, CancellationToken.None);
        var manifest = OciJson.Serialize(new ImageManifest { MediaType = MediaTypes.OciManifest, Config = configDescriptor, Layers = descriptors });
        var pushed = await _pusher.PushManifestAsync(reference, MediaTypes.OciManifest, manifest, CancellationToken.None);
        return new PushedImage(reference.ToString(), pushed.Digest, descriptors);
    }

    private static string DiffId(byte[] layer, bool zstd)
    {
        using var input = new MemoryStream(layer);
        using Stream tar = zstd ? new ZstdSharp.DecompressionStream(input) : new System.IO.Compression.GZipStream(input, System.IO.Compression.CompressionMode.Decompress);
        return "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(tar));
    }

    private static Dictionary<string, string> Cri(PushedImage image, int layer) => new()
    {
        [SnapshotLabels.CriImageRef] = image.Reference,
        [SnapshotLabels.CriManifestDigest] = image.ManifestDigest,
        [SnapshotLabels.CriLayerDigest] = image.Layers[layer].Digest,
        [SnapshotLabels.CriImageLayers] = string.Join(',', image.Layers.Select(l => l.Digest)),
        [SnapshotLabels.TargetRef] = "target",
    };

    private LayerRequest Request(Dictionary<string, string> labels)
    {
        var mountpoint = Directory.CreateDirectory(_tmpfs.PathOf($"snapshots/{++_snapshots}/fs")).FullName;
        return new LayerRequest { Mountpoint = mountpoint, Key = $"default/{_snapshots}/key", Namespace = "default", Labels = labels };
    }
}
