using PluggableSnapshotter.Host.Plugins;

namespace PluggableSnapshotter.Host.Metrics;

/// <summary>
/// How one remote Prepare ended: the role that made the layer available (or <see cref="Containerd"/>), why it was not
/// served lazily, the backend and chain, and how long it took (a lazy mount, or a whole-layer pull).
/// </summary>
/// <param name="Role">lazy, parallel, local or containerd.</param>
/// <param name="Reason">Why lazy loading did not serve it (<see cref="NoReason"/> when it did, or was not the chain's first choice).</param>
/// <param name="Backend">The plugin that prepared it; null when containerd pulls it.</param>
/// <param name="Chain">The chain chosen for the image.</param>
/// <param name="Duration">From the chain's first attempt to its answer.</param>
internal sealed record PrepareOutcome(string Role, string Reason, string? Backend, string? Chain, TimeSpan Duration)
{
    /// <summary>The role when no backend prepared the layer: containerd fetches and applies it.</summary>
    public const string Containerd = "containerd";

    public const string NoReason = "none";
    public const string NoIndex = "no_index";
    public const string NoZtoc = "no_ztoc";
    public const string TooSmall = "too_small";
    public const string Error = "error";
    public const string Deferred = "defer";
    public const string NoLazyBackend = "no_lazy_backend";
    public const string ParallelPullUnpack = "parallel_pull_unpack";
    public const string NoBackend = "no_backend";

    /// <summary>The outcome of one chain result: its role, and why lazy loading did not serve it (the last lazy try that did not mount).</summary>
    public static PrepareOutcome From(ChainResult result, TimeSpan duration)
    {
        var role = result.PreparedBy?.Role.Label() ?? Containerd;
        var lazy = result.Attempts.Where(a => a.Role == BackendRole.Lazy && a.Verdict != AttemptVerdict.NotSupported).ToList();
        var reason = result.PreparedBy?.Role == BackendRole.Lazy ? NoReason
            : lazy.Count == 0 ? (result.Attempts.Count == 0 ? NoBackend : NoLazyBackend)
            : ReasonOf(lazy[^1].Verdict);
        return new PrepareOutcome(role, reason, result.PreparedBy?.Backend, result.Chain, duration);
    }

    private static string ReasonOf(AttemptVerdict verdict) => verdict switch
    {
        AttemptVerdict.NoIndex => NoIndex,
        AttemptVerdict.NoZtoc => NoZtoc,
        AttemptVerdict.BelowMinLayerSize => TooSmall,
        AttemptVerdict.ParallelPullUnpack => ParallelPullUnpack,
        AttemptVerdict.Deferred => Deferred,
        _ => Error,
    };
}
