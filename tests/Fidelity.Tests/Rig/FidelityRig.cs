using System.Collections.Concurrent;
using System.Text.Json;
using PluggableSnapshotter.Fidelity.Tests.Images;
using PluggableSnapshotter.Fidelity.Tests.Listing;
using PluggableSnapshotter.TestSupport;
using PluggableSnapshotter.TestSupport.Containerd;
using PluggableSnapshotter.TestSupport.Processes;

namespace PluggableSnapshotter.Fidelity.Tests.Rig;

/// <summary>
/// Shared by the fidelity tests (root only; needs scripts/build.sh's out/): the tar corpus of tests/Layers.Tests built with
/// real tools, each form pushed as an image (over a marker layer of its own per puller, so no two pullers share a
/// snapshot; gnu-pax-utf8 also under a whiteout layer) to a loopback registry under one repository per puller, the soci copies converted by <c>out/cli/psoci</c>, our daemon with a
/// chain per backend ([soci] without background fill, so every read goes through FUSE; [parallel-pull]; [local]) and a
/// private containerd 1.6. Pulls and listings are made once per puller and image, then reused.
/// </summary>
public sealed class FidelityRig : IAsyncLifetime
{
    public const string Snapshotter = "pluggable";

    /// <summary>The two-layer image: gnu-pax's full tree, then a layer of whiteouts, an opaque directory and new files.</summary>
    public const string Whiteouts = "whiteouts";

    // The label our snapshotter records on each snapshot it prepared (sdk SnapshotLabels.Backend).
    private const string BackendLabel = "containerd.io/snapshot/pluggable.backend";

    private readonly ConcurrentDictionary<string, TarLayerImage> _images = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task>> _pulls = new(StringComparer.Ordinal);
    private PullRig? _rig;

    public static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromMinutes(10)).Token;

    /// <summary>Corpus forms containerd applies (old GNU sparse is refused by every applier: tests/Layers.Tests checks that).</summary>
    public static readonly string[] Forms =
    [
        "gnu-pax", "gnu-gnu", "gnu-ustar", "gnu-sparse-1.0", "gnu-sparse-0.1", "gnu-sparse-0.0",
        "python-pax", "python-gnu", "python-ustar", "busybox", "umoci", "gnu-pax-utf8", "gnu-gnu-utf8",
    ];

    /// <summary>
    /// Forms a zTOC cannot serve, which psoci refuses to index (so no lazy backend ever sees them; they are pulled whole), and
    /// the reason its error gives: names that are not UTF-8 (zTOC names are flatbuffers strings), sparse files (their
    /// data is not one range of the archive) and PAX global headers (Python's tarfile writes one; SOCI's getType refuses it).
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> ZtocRefusals = new Dictionary<string, string>
    {
        ["gnu-pax"] = "not valid UTF-8", ["gnu-gnu"] = "not valid UTF-8", ["python-pax"] = "unsupported type 'g'", ["python-gnu"] = "not valid UTF-8",
        ["gnu-sparse-1.0"] = "sparse", ["gnu-sparse-0.1"] = "sparse", ["gnu-sparse-0.0"] = "sparse",
    };

    private readonly ConcurrentDictionary<string, string> _conversionErrors = new(StringComparer.Ordinal);

    /// <summary>What psoci said when it refused to index <paramref name="form"/>; null when it indexed it.</summary>
    public string? ConversionError(string form) => _conversionErrors.GetValueOrDefault(form);

    public PullRig Rig => _rig ?? throw new InvalidOperationException("the rig is not started (not root?)");

    public async Task InitializeAsync()
    {
        if (!RootOnlyFactAttribute.IsRoot) return;
        var ct = Timeout;
        _rig = await PullRig.StartRegistryAsync("fidelity", ct);
        var corpus = Directory.CreateDirectory(_rig.Directory.Combine("corpus")).FullName;
        await ProcessRunner.RunCheckedAsync("bash", [Script("make-corpus.sh"), corpus], ct);
        await ProcessRunner.RunCheckedAsync("bash", [Script("make-fidelity-layers.sh"), corpus], ct);

        var builds = Forms.Select(form => (form, tars: new[] { Path.Combine(corpus, form + ".tar") }))
            .Append((form: Whiteouts, tars: new[] { Path.Combine(corpus, "gnu-pax-utf8.tar"), Path.Combine(corpus, "whiteout-upper.tar") }));
        foreach (var (form, tars) in builds)
        {
            foreach (var puller in Puller.All)
            {
                var image = await TarLayerImage.BuildAsync(_rig.Directory.Combine("images", puller.Name, form), [Path.Combine(corpus, $"marker-{puller.Name}.tar"), .. tars], ct);
                _images[puller.Name + "/" + form] = image;
                if (puller != Puller.Soci)
                {
                    await image.Image.PushAsync(Reference(puller, form), ct);
                    continue;
                }
                var source = Rig.Registry.Reference("fid/soci-source/" + form, "v1");
                await image.Image.PushAsync(source, ct);
                var convert = await PublishedPsoci.RunAsync(
                    ["convert", "--min-layer-size", "0", "--span-size", "65536", source, Reference(puller, form)], ct);
                if (convert.ExitCode != 0) _conversionErrors[form] = convert.StandardError + convert.StandardOutput;
            }
        }

        var plugins = Path.Combine(RepositoryPaths.Root, "out", "plugins");
        await _rig.StartSnapshotterAsync($$"""
            plugins:
              - name: soci
                path: {{plugins}}/soci
                settings: { background_fill: { enable: false } }
              - name: parallel-pull
                path: {{plugins}}/parallel-pull
                settings: {}
              - name: local
                path: {{plugins}}/local
                settings: {}
            chains:
              - name: soci
                backends: [soci]
                images: ["**/{{Puller.Soci.Repository}}/*"]
              - name: parallel
                backends: [parallel-pull]
                images: ["**/{{Puller.ParallelPull.Repository}}/*"]
              - name: local
                backends: [local]
            default_chain: local
            """, ct);
    }

    public TarLayerImage ImageOf(Puller puller, string form) => _images[puller.Name + "/" + form];

    public string Reference(Puller puller, string form) => Rig.Registry.Reference($"{puller.Repository}/{form}", "v1");

    /// <summary>Pulls the image of <paramref name="form"/> with <paramref name="puller"/> (once) and checks who prepared its layers.</summary>
    public Task PullAsync(Puller puller, string form, CancellationToken ct) =>
        _pulls.GetOrAdd(puller.Name + "/" + form, _ => new Lazy<Task>(() => PullOnceAsync(puller, form, ct))).Value;

    private async Task PullOnceAsync(Puller puller, string form, CancellationToken ct)
    {
        var reference = Reference(puller, form);
        await CtrAsync(puller.Remote ? "ctr-remote" : "ctr", puller,
            [puller.Remote ? "rpull" : "pull", "--plain-http", "--snapshotter", puller.Snapshotter, reference], ct, "image");
        if (!puller.Remote) return;
        // A backend that failed a layer would leave it to containerd, and we would be comparing containerd with itself.
        var image = ImageOf(puller, form);
        foreach (var chainId in image.DiffIds.Select((_, i) => (image with { DiffIds = image.DiffIds.Take(i + 1).ToList() }).TopChainId))
        {
            var info = await CtrAsync("ctr", puller, ["snapshots", "--snapshotter", puller.Snapshotter, "info", chainId], ct);
            using var json = JsonDocument.Parse(info.StandardOutput);
            var backend = json.RootElement.TryGetProperty("Labels", out var labels) && labels.TryGetProperty(BackendLabel, out var value) ? value.GetString() : null;
            if (backend != puller.Name)
                throw new InvalidOperationException($"layer {chainId} of {reference} was prepared by {backend ?? "containerd"}, not {puller.Name}\n{info.StandardOutput}\n{Rig.Describe()}");
        }
    }

    /// <summary>The listing of the top layer's own snapshot directory (what the snapshotter stores for that layer).</summary>
    public async Task<IReadOnlyList<string>> ListTopLayerAsync(Puller puller, string form, CancellationToken ct)
    {
        await PullAsync(puller, form, ct);
        return await WithViewAsync(puller, form, async mount =>
        {
            var options = mount.Options;
            var directory = mount.Type == "bind" ? mount.Source
                : options.First(o => o.StartsWith("lowerdir=", StringComparison.Ordinal))["lowerdir=".Length..].Split(':')[0];
            return RawTreeLister.List(directory);
        }, ct);
    }

    /// <summary>The listing of the image's root filesystem as containers see it: a view of its top layer, mounted.</summary>
    public async Task<IReadOnlyList<string>> ListMergedAsync(Puller puller, string form, CancellationToken ct)
    {
        await PullAsync(puller, form, ct);
        return await WithViewAsync(puller, form, async mount =>
        {
            var target = Directory.CreateDirectory(Rig.Directory.Combine("views", Guid.NewGuid().ToString("N")[..8])).FullName;
            await ProcessRunner.RunCheckedAsync("mount", ["-t", mount.Type, "-o", string.Join(',', mount.Options), mount.Source, target], ct);
            try
            {
                return RawTreeLister.List(target);
            }
            finally
            {
                await ProcessRunner.RunCheckedAsync("umount", [target], ct);
            }
        }, ct);
    }

    private sealed record Mount(string Type, string Source, IReadOnlyList<string> Options);

    // A view holds no lease: containerd's garbage collection may remove it before it is used; then make another.
    private async Task<IReadOnlyList<string>> WithViewAsync(Puller puller, string form, Func<Mount, Task<IReadOnlyList<string>>> use, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var key = "view-" + Guid.NewGuid().ToString("N")[..8];
            try
            {
                var view = await CtrAsync("ctr", puller, ["snapshots", "--snapshotter", puller.Snapshotter, "view", "--mounts", key, ImageOf(puller, form).TopChainId], ct);
                using var json = JsonDocument.Parse(view.StandardOutput);
                var element = json.RootElement.EnumerateArray().Single();
                var mount = new Mount(
                    Property(element, "type").GetString()!,
                    Property(element, "source").GetString()!,
                    [.. Property(element, "options").EnumerateArray().Select(o => o.GetString()!)]);
                return await use(mount);
            }
            catch (Exception error) when (attempt < 3 && error is InvalidOperationException or IOException)
            {
                await Task.Delay(500, ct);
            }
            finally
            {
                await ProcessRunner.RunAsync("ctr", ["--address", Rig.Containerd.Address, "-n", puller.Namespace, "snapshots", "--snapshotter", puller.Snapshotter, "rm", key], ct);
            }
        }
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.EnumerateObject().First(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value;

    private async Task<ProcessResult> CtrAsync(string tool, Puller puller, IEnumerable<string> arguments, CancellationToken ct, string? group = null)
    {
        string[] args = ["--address", Rig.Containerd.Address, "-n", puller.Namespace, .. group is null ? [] : new[] { group }, .. arguments];
        var result = await ProcessRunner.RunAsync(tool, args, ct);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"`{result.Command}` exited with {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}\n{Rig.Describe()}");
        return result;
    }

    private static string Script(string name) => Path.Combine(AppContext.BaseDirectory, "Corpus", name);

    public async Task DisposeAsync()
    {
        if (_rig is not null) await _rig.DisposeAsync();
    }
}
