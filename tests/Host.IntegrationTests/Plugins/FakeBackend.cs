using PluggableSnapshotter.Sdk;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>
/// A backend whose every role answers one scripted word: <c>mounted</c>, <c>no-index</c>, <c>no-ztoc</c>, <c>defer</c>,
/// <c>unsupported</c>, <c>registry</c> (throws HttpRequestException), <c>invalid</c> (InvalidDataException) or <c>throw</c>.
/// Whatever does not mount leaves a file behind, so the policy's cleanup between backends shows; it notes whether it found
/// the mount point empty. The chain policy's input, not a peer: no real backend answers on demand.
/// </summary>
internal sealed class FakeBackend(string name, BackendCapabilities capabilities, string answer) : IFileSystem
{
    public string Name { get; } = name;

    public BackendCapabilities Capabilities { get; } = capabilities;

    public List<string> Calls { get; } = [];

    public bool FoundDebris { get; private set; }

    public Task<MountResult> MountAsync(LayerRequest layer, CancellationToken cancellationToken) => Answer("lazy", layer);

    public Task<MountResult> MountParallelAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) => Answer("parallel", layer);

    public Task<MountResult> MountLocalAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken) => Answer("local", layer);

    public Task CheckAsync(LayerRequest layer, CancellationToken cancellationToken)
    {
        Calls.Add("check");
        return Task.CompletedTask;
    }

    public Task<string> IdMapMountLocalAsync(string mountpoint, string activeLayerId, IdMap idMap, CancellationToken cancellationToken)
    {
        Calls.Add("idmap-local");
        return Task.FromResult(mountpoint + "-idmap");
    }

    private Task<MountResult> Answer(string role, LayerRequest layer)
    {
        Calls.Add(role);
        FoundDebris |= Directory.EnumerateFileSystemEntries(layer.Mountpoint).Any();
        File.WriteAllText(Path.Combine(layer.Mountpoint, $"{Name}-{role}"), answer);
        return answer switch
        {
            "mounted" => Task.FromResult(MountResult.Mounted with { Labels = new Dictionary<string, string> { ["x-by"] = Name } }),
            "no-index" => Task.FromResult(MountResult.NoIndex("r")),
            "no-ztoc" => Task.FromResult(MountResult.NoZtoc("r")),
            "defer" => Task.FromResult(MountResult.Defer("r")),
            "unsupported" => Task.FromResult(MountResult.NotSupported("r")),
            "registry" => Task.FromException<MountResult>(new HttpRequestException("503")),
            "invalid" => Task.FromException<MountResult>(new InvalidDataException("bad ztoc")),
            _ => Task.FromException<MountResult>(new IOException("boom")),
        };
    }
}
