using Microsoft.Extensions.Logging.Abstractions;
using PluggableSnapshotter.Host.Plugins;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.TestSupport.Logging;

namespace PluggableSnapshotter.Host.IntegrationTests.Plugins;

/// <summary>Every row of the chain policy's table (ChainPreparer's doc comment, README "How a layer is prepared").</summary>
public sealed class ChainPreparerTests : IDisposable
{
    private const BackendCapabilities L = BackendCapabilities.Lazy;
    private const BackendCapabilities P = BackendCapabilities.Parallel;
    private const BackendCapabilities U = BackendCapabilities.Local;

    private readonly string _mountpoint = Directory.CreateTempSubdirectory("psnap-chain-").FullName;

    public void Dispose() => Directory.Delete(_mountpoint, recursive: true);

    /// <summary>Backends as "name:caps=answer" (caps of L, P, U), options, layer size; then who prepared it and the why label.</summary>
    public static TheoryData<string, string, string, long?, string, string> Rows => new()
    {
        { "lazy mounts", "soci:L=mounted local:U=mounted", "", null, "soci/lazy", "soci/lazy prepared" },
        { "lazy defers", "soci:L=defer local:U=mounted", "", null, "containerd", "soci/lazy deferred: r; containerd: soci defers to containerd" },
        { "no zTOC: local", "soci:L=no-ztoc pp:P=mounted local:U=mounted", "", null, "local/local", "soci/lazy no-ztoc: r; local/local prepared" },
        { "no index, no fallback", "soci:L=no-index local:U=mounted", "", null, "containerd", "soci/lazy no-index: r; containerd: no index and no parallel-pull fallback" },
        { "no index, fallback option, no parallel backend", "soci:L=no-index local:U=mounted", "fallback", null, "local/local", "soci/lazy no-index: r; local/local prepared" },
        { "no index, parallel backend in chain", "soci:L=no-index pp:P=mounted local:U=mounted", "", null, "pp/parallel", "soci/lazy no-index: r; pp/parallel prepared" },
        { "no index, then next lazy mounts", "soci:L=no-index soci2:L=mounted local:U=mounted", "", null, "soci2/lazy", "soci/lazy no-index: r; soci2/lazy prepared" },
        { "registry error: local", "soci:L=registry local:U=mounted", "", null, "local/local", "soci/lazy registry-error: 503; local/local prepared" },
        { "invalid zTOC: local first", "soci:L=invalid pp:P=mounted local:U=mounted", "", null, "local/local", "soci/lazy invalid-data: bad ztoc; local/local prepared" },
        { "failure wins over no index", "soci:L=throw soci2:L=no-index local:U=mounted", "", null, "local/local", "soci/lazy failed: boom; soci2/lazy no-index: r; local/local prepared" },
        { "lazy not supported", "soci:L=unsupported local:U=mounted", "", null, "local/local", "soci/lazy not-supported: r; local/local prepared" },
        { "parallel_pull_unpack", "soci:L=mounted pp:P=mounted local:U=mounted", "unpack", null, "pp/parallel", "soci/lazy parallel-pull-unpack: parallel_pull_unpack is set; pp/parallel prepared" },
        { "below min_layer_size", "soci:L=mounted pp:P=mounted local:U=mounted", "min", 999L, "local/local", "soci/lazy below-min-layer-size: 999 < 1000 bytes; local/local prepared" },
        { "at min_layer_size: lazy", "soci:L=mounted local:U=mounted", "min", 1000L, "soci/lazy", "soci/lazy prepared" },
        { "no lazy, parallel named first", "pp:P=mounted local:U=mounted", "", null, "pp/parallel", "pp/parallel prepared" },
        { "no lazy, local named first", "local:U=mounted pp:P=mounted", "", null, "local/local", "local/local prepared" },
        { "parallel fails: local", "pp:P=throw local:U=mounted", "", null, "local/local", "pp/parallel failed: boom; local/local prepared" },
        { "local fails: parallel", "local:U=throw pp:P=mounted", "", null, "pp/parallel", "local/local failed: boom; pp/parallel prepared" },
        { "unpacker defers", "local:U=defer pp:P=mounted", "", null, "containerd", "local/local deferred: r; containerd: local defers to containerd" },
        { "unpacker not supported", "local:U=unsupported pp:P=mounted", "", null, "pp/parallel", "local/local not-supported: r; pp/parallel prepared" },
        { "nothing prepares it", "soci:L=no-ztoc local:U=throw", "", null, "containerd", "soci/lazy no-ztoc: r; local/local failed: boom; containerd: no backend prepared it" },
        { "only lazy, no zTOC", "soci:L=no-ztoc", "", null, "containerd", "soci/lazy no-ztoc: r; containerd: no backend prepared it" },
        { "empty chain", "", "", null, "containerd", "containerd: chain default has no backends" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task PrepareLayerAsync_PolicyRow_PreparedByExpectedBackendWithEveryReason(string row, string backends, string options, long? size,
        string preparedBy, string why)
    {
        var fakes = Parse(backends);
        var preparer = Preparer(fakes, options switch
        {
            "fallback" => new SnapshotterOptions { ParallelPullAsFallback = true },
            "unpack" => new SnapshotterOptions { ParallelPullUnpack = true },
            "min" => new SnapshotterOptions { MinLayerSize = 1000 },
            _ => new SnapshotterOptions(),
        });

        var result = await preparer.PrepareLayerAsync(Layer(size), [], CancellationToken.None);

        Assert.Equal(preparedBy, result.PreparedBy is { } by ? $"{by.Backend}/{by.Role.Label()}" : "containerd");
        Assert.Equal(why, WhyLabel.Format(result));
        Assert.Equal("default", result.Chain);
        Assert.All(fakes, f => Assert.False(f.FoundDebris, $"{row}: {f.Name} found what an earlier backend left"));
        if (result.PreparedBy is null)
        {
            Assert.Empty(Directory.EnumerateFileSystemEntries(_mountpoint));
        }
        else
        {
            Assert.Equal(result.PreparedBy.Backend, result.BackendLabels!["x-by"]);
        }
    }

    [Fact]
    public async Task PrepareLayerAsync_NoImageLabels_DefersWithoutAskingBackends()
    {
        var local = new FakeBackend("local", U, "mounted");
        var layer = Layer(null) with { Labels = new Dictionary<string, string> { [SnapshotLabels.TargetRef] = "sha256:aaa" } };

        var result = await Preparer([local], new SnapshotterOptions()).PrepareLayerAsync(layer, [], CancellationToken.None);

        Assert.Null(result.PreparedBy);
        Assert.Equal("containerd: the Prepare labels name no image reference and layer digest", WhyLabel.Format(result));
        Assert.Empty(local.Calls);
    }

    [Fact]
    public async Task PrepareLayerAsync_ImagePattern_SelectsItsChain()
    {
        var canary = new FakeBackend("canary", U, "mounted");
        var plain = new FakeBackend("plain", U, "mounted");
        var preparer = new ChainPreparer(
            [new Chain("canary", [new ChainBackend("canary", canary)], [new ImagePattern("**/canary:*")]), new Chain("default", [new ChainBackend("plain", plain)], [])],
            "default", new SnapshotterOptions(), NullLogger<ChainPreparer>.Instance);

        var result = await preparer.PrepareLayerAsync(Layer(null), [], CancellationToken.None);

        Assert.Equal(("canary", "canary"), (result.Chain, result.PreparedBy!.Backend));
        Assert.Empty(plain.Calls);
    }

    [Fact]
    public void WhyLabel_Format_ParsesBackToTheSameAttempts()
    {
        var result = ChainResult.Deferred("default",
            [new BackendAttempt("soci", BackendRole.Lazy, AttemptVerdict.BelowMinLayerSize, "5 < 10 bytes"), new BackendAttempt("local", BackendRole.Local, AttemptVerdict.Failed, "a; b\nc")],
            "no backend prepared it");

        var (attempts, deferReason) = WhyLabel.Parse(WhyLabel.Format(result));

        Assert.Equal([result.Attempts[0], result.Attempts[1] with { Reason = "a, b c" }], attempts);
        Assert.Equal("no backend prepared it", deferReason);
    }

    [Fact]
    public async Task RestoreAsync_LazyLayer_MountsAndChecksThroughTheRecordedBackend()
    {
        var first = new FakeBackend("first", L, "mounted");
        var recorded = new FakeBackend("recorded", L, "mounted");
        var layer = Layer(null) with { Labels = new Dictionary<string, string> { [SnapshotLabels.BackendRole] = "lazy", [SnapshotLabels.Backend] = "recorded" } };

        Assert.True(await Preparer([first, recorded], new SnapshotterOptions()).RestoreAsync(layer, CancellationToken.None));

        Assert.Equal(["lazy", "check"], recorded.Calls);
        Assert.Empty(first.Calls);
    }

    [Fact]
    public async Task RestoreAsync_UnpackedLayer_NeedsNothing()
    {
        var local = new FakeBackend("local", U | L, "mounted");
        var layer = Layer(null) with { Labels = new Dictionary<string, string> { [SnapshotLabels.BackendRole] = "local", [SnapshotLabels.Backend] = "local" } };

        Assert.False(await Preparer([local], new SnapshotterOptions()).RestoreAsync(layer, CancellationToken.None));
        Assert.Empty(local.Calls);
    }

    [Fact]
    public async Task MapIdsAsync_UnpackedLayer_CopiesThroughTheLocalBackendOfItsChain()
    {
        var pp = new FakeBackend("pp", P, "mounted");
        var local = new FakeBackend("local", U, "mounted");
        var labels = new Dictionary<string, string> { [SnapshotLabels.BackendRole] = "parallel", [SnapshotLabels.Chain] = "default" };

        var view = await Preparer([pp, local], new SnapshotterOptions()).MapIdsAsync(_mountpoint, labels, "7", new IdMap([], []), CancellationToken.None);

        Assert.Equal(_mountpoint + "-idmap", view);
        Assert.Equal(["idmap-local"], local.Calls);
    }

    [Fact]
    public async Task MapIdsAsync_ChainWithoutLocalBackend_FailsPrecondition()
    {
        var preparer = Preparer([new FakeBackend("pp", P, "mounted")], new SnapshotterOptions());

        var error = await Assert.ThrowsAsync<SnapshotterException>(() =>
            preparer.MapIdsAsync(_mountpoint, new Dictionary<string, string>(), "7", new IdMap([], []), CancellationToken.None));

        Assert.Equal(SnapshotErrorKind.FailedPrecondition, error.Kind);
    }

    [Fact]
    public void ContainerStarting_BackendsOfEveryChain_EachObserverToldTheKey()
    {
        var first = new StartObservingBackend("first");
        var canary = new StartObservingBackend("canary");
        var local = new FakeBackend("local", U, "mounted");
        var preparer = new ChainPreparer(
            [new Chain("canary", [new ChainBackend("canary", canary)], [new ImagePattern("**/canary:*")]),
             new Chain("default", [new ChainBackend("first", first), new ChainBackend("local", local)], [])],
            "default", new SnapshotterOptions(), NullLogger<ChainPreparer>.Instance);

        preparer.ContainerStarting("default/7/container");

        Assert.Equal(["default/7/container"], first.Keys);
        Assert.Equal(["default/7/container"], canary.Keys);
        Assert.Empty(local.Calls);
    }

    [Fact]
    public void ContainerStarting_ObserverThrows_OthersStillToldAndHostLog73()
    {
        var failing = new StartObservingBackend("failing", throws: true);
        var after = new StartObservingBackend("after");
        var logger = new EventIdLogger<ChainPreparer>();
        var preparer = new ChainPreparer([new Chain("default", [new ChainBackend("failing", failing), new ChainBackend("after", after)], [])],
            "default", new SnapshotterOptions(), logger);

        preparer.ContainerStarting("default/8/container");

        Assert.Equal(["default/8/container"], after.Keys);
        Assert.Equal([73], logger.EventIds);
    }

    [Fact]
    public void ContainerRemoved_ObserverThrows_OthersStillToldAndHostLog73()
    {
        var failing = new StartObservingBackend("failing", throws: true);
        var after = new StartObservingBackend("after");
        var logger = new EventIdLogger<ChainPreparer>();
        var preparer = new ChainPreparer([new Chain("default", [new ChainBackend("failing", failing), new ChainBackend("after", after)], [])],
            "default", new SnapshotterOptions(), logger);

        preparer.ContainerRemoved("default/9/container");

        Assert.Equal(["default/9/container"], failing.RemovedKeys);
        Assert.Equal(["default/9/container"], after.RemovedKeys);
        Assert.Empty(after.Keys);
        Assert.Equal([73], logger.EventIds);
    }

    [Fact]
    public void ContainerRemoved_ObserverBuiltBeforeIt_IsSkippedQuietly()
    {
        // An observer that implements only ContainerStarting (as one written before ContainerRemoved existed) gets the
        // interface's default, which does nothing.
        var old = new StartOnlyObserver();
        var logger = new EventIdLogger<ChainPreparer>();
        var preparer = new ChainPreparer([new Chain("default", [new ChainBackend("old", old)], [])], "default", new SnapshotterOptions(), logger);

        preparer.ContainerRemoved("default/10/container");
        preparer.ContainerStarting("default/11/container");

        Assert.Equal(["default/11/container"], old.Keys);
        Assert.Empty(logger.EventIds);
    }

    private sealed class StartOnlyObserver : IFileSystem, IContainerStartObserver
    {
        public string Name { get; } = "old";

        public BackendCapabilities Capabilities => BackendCapabilities.Lazy;

        public List<string> Keys { get; } = [];

        public void ContainerStarting(string key) => Keys.Add(key);
    }

    private LayerRequest Layer(long? size)
    {
        var labels = new Dictionary<string, string>
        {
            [SnapshotLabels.TargetRef] = "sha256:aaa",
            [SnapshotLabels.CriImageRef] = "127.0.0.1:5000/team/canary:1",
            [SnapshotLabels.CriLayerDigest] = "sha256:1111",
        };
        if (size is { } bytes)
        {
            labels[SnapshotLabels.SociSize] = bytes.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        return new LayerRequest { Mountpoint = _mountpoint, Key = "default/1/k", Namespace = "default", Labels = labels };
    }

    private static List<FakeBackend> Parse(string backends) =>
        backends.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(spec =>
        {
            var (name, rest) = (spec[..spec.IndexOf(':')], spec[(spec.IndexOf(':') + 1)..]);
            var (caps, answer) = (rest[..rest.IndexOf('=')], rest[(rest.IndexOf('=') + 1)..]);
            var capabilities = caps.Aggregate(BackendCapabilities.None, (all, c) => all | c switch { 'L' => L, 'P' => P, _ => U });
            return new FakeBackend(name, capabilities, answer);
        }).ToList();

    private static ChainPreparer Preparer(IEnumerable<FakeBackend> backends, SnapshotterOptions options) =>
        new([new Chain("default", backends.Select(b => new ChainBackend(b.Name, b)).ToList(), [])], "default", options, NullLogger<ChainPreparer>.Instance);
}
