using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using PluggableSnapshotter.Host.Metrics;
using PluggableSnapshotter.Host.Overlay;
using PluggableSnapshotter.Sdk;
using PluggableSnapshotter.Host.Hosting;

namespace PluggableSnapshotter.Host.Plugins;

/// <summary>
/// The one chain policy: picks the chain of an image (the first whose image patterns match, else the default chain),
/// walks its backends and branches on their <see cref="MountOutcome"/>s by SOCI's rules, and says who prepared each layer
/// and why every backend before did not (<see cref="ChainResult"/>).
/// </summary>
/// <remarks>
/// <para>Lazy backends first, in chain order (each row is one backend's answer):</para>
/// <list type="table">
/// <item><term>labels name no image reference and layer digest</term><description>containerd pulls it; no backend asked</description></item>
/// <item><term>the chain has no backends</term><description>containerd pulls it</description></item>
/// <item><term><c>parallel_pull_unpack</c></term><description>lazy backends skipped; unpack, parallel first</description></item>
/// <item><term>layer size (<c>soci.size</c> label) below <c>min_layer_size</c></term><description>lazy backends skipped; unpack, local first</description></item>
/// <item><term>lazy: Mounted</term><description>prepared lazily; done</description></item>
/// <item><term>lazy: DeferToContainerRuntime</term><description>containerd pulls it; done</description></item>
/// <item><term>lazy: NoZtoc</term><description>no further lazy backend; unpack, local first</description></item>
/// <item><term>lazy: NoIndex</term><description>next lazy backend; if none mounts: unpack parallel first when <c>parallel_pull_as_fallback</c> or the chain has a parallel backend, else containerd pulls it</description></item>
/// <item><term>lazy: exception (registry error, invalid zTOC, other)</term><description>next lazy backend; if none mounts: unpack, local first (a failure wins over NoIndex)</description></item>
/// <item><term>lazy: NotSupported</term><description>next lazy backend, as if it were not in the chain</description></item>
/// <item><term>no lazy backend in the chain</term><description>unpack, parallel first when the chain names a parallel backend before any local one</description></item>
/// <item><term>unpack: Mounted</term><description>prepared; done</description></item>
/// <item><term>unpack: DeferToContainerRuntime</term><description>containerd pulls it; done</description></item>
/// <item><term>unpack: anything else (exception, NotSupported, NoIndex, NoZtoc)</term><description>the next backend: the first role's backends in chain order, then the other role's</description></item>
/// <item><term>nothing prepared it</term><description>containerd pulls it</description></item>
/// </list>
/// <para>
/// After every try that did not mount, the mount point is emptied (unmounted through that backend, debris deleted) before
/// the next backend or containerd writes into it. The prepared layer remembers its backend (label
/// <see cref="SnapshotLabels.Backend"/>): Check, Unmount and id-mapping of that layer go to it; id-mapping of a layer that
/// was unpacked goes to the first local backend of the layer's chain, or the default chain's.
/// </para>
/// </remarks>
internal sealed partial class ChainPreparer : ILayerPreparer
{
    private readonly IReadOnlyList<Chain> _chains;
    private readonly Chain _default;
    private readonly SnapshotterOptions _options;
    private readonly ILogger _logger;
    private readonly PrepareMetrics? _metrics;
    private readonly IReadOnlyDictionary<string, ChainBackend> _backends;
    // Mount points (layers and id-mapped views) mounted in this run, and the backend that mounted each.
    private readonly ConcurrentDictionary<string, ChainBackend> _mountedBy = new(StringComparer.Ordinal);

    public ChainPreparer(IReadOnlyList<Chain> chains, string defaultChain, SnapshotterOptions options, ILogger<ChainPreparer> logger,
        PrepareMetrics? metrics = null)
    {
        _metrics = metrics;
        _chains = chains;
        _default = chains.Single(c => c.Name == defaultChain);
        _options = options;
        _logger = logger;
        _backends = chains.SelectMany(c => c.Backends).DistinctBy(b => b.Name).ToDictionary(b => b.Name);
    }

    /// <summary>The chain that serves an image.</summary>
    public Chain Select(string? imageReference) =>
        imageReference is null ? _default
            : _chains.FirstOrDefault(c => c.Images.Any(p => p.Matches(imageReference))) ?? _default;

    /// <summary>Runs the policy (table above) for one layer.</summary>
    public async Task<ChainResult> PrepareLayerAsync(LayerRequest layer, IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        var chain = Select(layer.ImageReference);
        var attempts = new List<BackendAttempt>();
        if (!layer.DescribesImageLayer)
        {
            return ChainResult.Deferred(chain.Name, attempts, "the Prepare labels name no image reference and layer digest");
        }
        if (chain.Backends.Count == 0)
        {
            return ChainResult.Deferred(chain.Name, attempts, $"chain {chain.Name} has no backends");
        }

        var lazy = await TryLazyAsync(chain, layer, attempts, cancellationToken);
        if (lazy.Result is { } done)
        {
            return done;
        }
        var fallback = _options.ParallelPullAsFallback || chain.Has(BackendRole.Parallel);
        if (lazy.NoIndex && !fallback)
        {
            return ChainResult.Deferred(chain.Name, attempts, "no index and no parallel-pull fallback");
        }
        var parallelFirst = _options.ParallelPullUnpack || lazy.NoIndex || (!chain.Has(BackendRole.Lazy) && chain.ParallelBeforeLocal);
        BackendRole[] order = parallelFirst ? [BackendRole.Parallel, BackendRole.Local] : [BackendRole.Local, BackendRole.Parallel];
        foreach (var role in order)
        {
            foreach (var backend in chain.Playing(role))
            {
                var (attempt, result) = await TryAsync(backend, role, layer, mounts, cancellationToken);
                attempts.Add(attempt);
                switch (attempt.Verdict)
                {
                    case AttemptVerdict.Prepared:
                        return ChainResult.Prepared(chain.Name, attempts, result?.Labels);
                    case AttemptVerdict.Deferred:
                        return ChainResult.Deferred(chain.Name, attempts, $"{backend.Name} defers to containerd");
                }
            }
        }
        return ChainResult.Deferred(chain.Name, attempts, attempts.Count == 0 ? $"chain {chain.Name} has no backend to unpack with" : "no backend prepared it");
    }

    // The lazy step: a finished result (mounted or deferred), or whether every lazy backend answered NoIndex.
    private async Task<(ChainResult? Result, bool NoIndex)> TryLazyAsync(Chain chain, LayerRequest layer, List<BackendAttempt> attempts, CancellationToken cancellationToken)
    {
        var skip = _options.ParallelPullUnpack ? (AttemptVerdict.ParallelPullUnpack, "parallel_pull_unpack is set")
            : layer.LayerSize is { } size && size < _options.MinLayerSize ? (AttemptVerdict.BelowMinLayerSize, $"{size} < {_options.MinLayerSize} bytes")
            : ((AttemptVerdict, string)?)null;
        var noIndex = false;
        var failed = false;
        foreach (var backend in chain.Playing(BackendRole.Lazy))
        {
            if (skip is { } skipped)
            {
                attempts.Add(new BackendAttempt(backend.Name, BackendRole.Lazy, skipped.Item1, skipped.Item2));
                continue;
            }
            var (attempt, result) = await TryAsync(backend, BackendRole.Lazy, layer, [], cancellationToken);
            attempts.Add(attempt);
            switch (attempt.Verdict)
            {
                case AttemptVerdict.Prepared:
                    _mountedBy[layer.Mountpoint] = backend;
                    return (ChainResult.Prepared(chain.Name, attempts, result?.Labels), false);
                case AttemptVerdict.Deferred:
                    return (ChainResult.Deferred(chain.Name, attempts, $"{backend.Name} defers to containerd"), false);
                case AttemptVerdict.NoZtoc:
                    return (null, false);
                case AttemptVerdict.NoIndex:
                    noIndex = true;
                    break;
                case AttemptVerdict.NotSupported:
                    break;
                default:
                    failed = true;
                    break;
            }
        }
        return (null, noIndex && !failed);
    }

    /// <summary>Runs one backend in one role; a failure becomes a verdict, and the mount point is emptied unless prepared.</summary>
    private async Task<(BackendAttempt Attempt, MountResult? Result)> TryAsync(ChainBackend backend, BackendRole role, LayerRequest layer,
        IReadOnlyList<MountSpec> mounts, CancellationToken cancellationToken)
    {
        MountResult? result = null;
        try
        {
            result = role switch
            {
                BackendRole.Lazy => await backend.FileSystem.MountAsync(layer, cancellationToken),
                BackendRole.Parallel => await backend.FileSystem.MountParallelAsync(layer, mounts, cancellationToken),
                _ => await backend.FileSystem.MountLocalAsync(layer, mounts, cancellationToken),
            };
            var verdict = result.Value.Outcome switch
            {
                MountOutcome.Mounted => AttemptVerdict.Prepared,
                MountOutcome.NoIndex => AttemptVerdict.NoIndex,
                MountOutcome.NoZtoc => AttemptVerdict.NoZtoc,
                MountOutcome.DeferToContainerRuntime => AttemptVerdict.Deferred,
                _ => AttemptVerdict.NotSupported,
            };
            return (new BackendAttempt(backend.Name, role, verdict, verdict == AttemptVerdict.Prepared ? null : result.Value.Reason), result);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            HostLog.BackendFailed(_logger, e, backend.Name, role.Label(), layer.LayerDigest);
            return (new BackendAttempt(backend.Name, role, FailureVerdict(e), e.Message), null);
        }
        finally
        {
            if (result is not { IsMounted: true })
            {
                await MountpointReset.ResetAsync(layer.Mountpoint, mountpoint => backend.FileSystem.UnmountAsync(mountpoint, CancellationToken.None), _logger);
            }
        }
    }

    // Backends load their own registry client in their own load context, so its exception type is known by name only.
    private static AttemptVerdict FailureVerdict(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException || inner.GetType().Name == "RegistryException")
            {
                return AttemptVerdict.RegistryError;
            }
            if (inner is InvalidDataException)
            {
                return AttemptVerdict.InvalidData;
            }
        }
        return AttemptVerdict.Failed;
    }
}
